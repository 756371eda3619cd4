//! Cells of the CSV files Muster writes for people to open in a spreadsheet (rejected
//! import rows, audit log exports).

/// A cell of a file people open in a spreadsheet: one that a spreadsheet would take for a
/// formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) is written as
/// text, with a leading apostrophe.
pub fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_written_as_text() {
        for cell in ["=HYPERLINK(\"x\")", "+1", "-1", "@SUM(A1)", "\tx"] {
            assert!(spreadsheet_safe(cell).starts_with('\''), "{cell}");
        }
        assert_eq!(spreadsheet_safe("anna@example.com"), "anna@example.com");
    }
}
