//! Enums stored as their exact text code (`code()`), read back with sqlx as the enum:
//! `SELECT role AS "role: Role"`. A stored value that is no variant's code fails the
//! query (an internal error someone sees), never quietly a default variant.

/// Implements sqlx `Type` (also in arrays), `Decode` and `Encode` for `$ty`, which has
/// `ALL` (every variant) and `code()`; `$what` names it in the error.
macro_rules! stored_as_code {
    ($ty:ty, $what:literal) => {
        impl sqlx::Type<sqlx::Postgres> for $ty {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::Type<sqlx::Postgres>>::type_info()
            }

            fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
            }
        }

        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $ty {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<$ty, sqlx::error::BoxDynError> {
                let code = <&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?;
                <$ty>::ALL
                    .into_iter()
                    .find(|v| v.code() == code)
                    .ok_or_else(|| format!("{code:?} is not a {}", $what).into())
            }
        }

        impl sqlx::postgres::PgHasArrayType for $ty {
            fn array_type_info() -> sqlx::postgres::PgTypeInfo {
                <&str as sqlx::postgres::PgHasArrayType>::array_type_info()
            }

            fn array_compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
                <&str as sqlx::postgres::PgHasArrayType>::array_compatible(ty)
            }
        }

        impl sqlx::Encode<'_, sqlx::Postgres> for $ty {
            fn encode_by_ref(
                &self,
                buf: &mut sqlx::postgres::PgArgumentBuffer,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <&str as sqlx::Encode<sqlx::Postgres>>::encode_by_ref(&self.code(), buf)
            }
        }
    };
}

pub(crate) use stored_as_code;
