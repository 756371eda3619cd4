//! The regions an organization can live in (chosen once, in the activation wizard; part
//! of every organization's address).

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub code: &'static str,
    pub name: &'static str,
}

/// Every region an organization can live in. It is chosen once, in the wizard.
pub const REGIONS: [Region; 15] = [
    Region {
        code: "us-east-1",
        name: "US East (N. Virginia)",
    },
    Region {
        code: "us-east-2",
        name: "US East 2 (Ohio)",
    },
    Region {
        code: "us-west-2",
        name: "US West (Oregon)",
    },
    Region {
        code: "ca-central-1",
        name: "Canada (Canada Central)",
    },
    Region {
        code: "sa-east-1",
        name: "South America (São Paulo)",
    },
    Region {
        code: "eu-west-1",
        name: "EU (Ireland)",
    },
    Region {
        code: "eu-central-1",
        name: "EU (Frankfurt)",
    },
    Region {
        code: "eu-west-2",
        name: "EU (London)",
    },
    Region {
        code: "eu-central-2",
        name: "EU (Zurich)",
    },
    Region {
        code: "ap-south-1",
        name: "Asia Pacific (Mumbai)",
    },
    Region {
        code: "ap-northeast-3",
        name: "Asia Pacific (Osaka)",
    },
    Region {
        code: "ap-northeast-2",
        name: "Asia Pacific (Seoul)",
    },
    Region {
        code: "ap-southeast-2",
        name: "Asia Pacific (Sydney)",
    },
    Region {
        code: "ap-northeast-1",
        name: "Asia Pacific (Tokyo)",
    },
    Region {
        code: "me-central-1",
        name: "United Arab Emirates (UAE)",
    },
];

pub fn region(code: &str) -> Option<Region> {
    REGIONS.into_iter().find(|r| r.code == code)
}

pub fn parse_region(code: &str) -> Result<Region, FieldError> {
    region(code.trim()).ok_or_else(|| FieldError::new("region", "errors.region_required"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_are_the_fifteen_listed_and_unique() {
        let codes: std::collections::HashSet<_> = REGIONS.iter().map(|r| r.code).collect();
        assert_eq!(codes.len(), 15);
        assert_eq!(region("eu-central-2").unwrap().name, "EU (Zurich)");
        assert!(parse_region("mars-north-1").is_err());
    }
}
