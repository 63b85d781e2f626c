//! Compose's variable interpolation, as the Compose specification defines it
//! (compose-spec/compose-go `template/template.go`):
//! `$VAR`, `${VAR}`, `${VAR:-default}` (unset or empty), `${VAR-default}` (unset),
//! `${VAR:?message}` / `${VAR?message}` (an error when unset [or empty]),
//! `${VAR:+alternative}` / `${VAR+alternative}`, nesting inside the default
//! (`${A:-${B:-c}}`), and `$$` for a literal `$`. Names are `[_a-zA-Z][_a-zA-Z0-9]*`.
//!
//! Hand-written: no maintained crate implements the `?`, `+` and nested forms (shellexpand,
//! envfmt and rush-var stop at `:-`); `tests/engine/compose.rs` holds it to the real
//! `docker-compose config` on the forms both Compose versions share.
//!
//! It runs on the parsed tree's scalars, never on the raw text, so a value cannot inject YAML.

/// What interpolating a string ran into besides its result.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Variables used without a value and without a default: Compose blanks them.
    pub unset: Vec<String>,
    /// A `$` that starts no variable (`$ `, `$1`): kept as written (Compose v1 refuses it).
    pub stray_dollar: bool,
}

/// Why a string cannot be interpolated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InterpolationError {
    /// `${VAR:?message}` / `${VAR?message}` with VAR missing.
    Required { name: String, message: String },
    /// `${` without its `}`, or a name that is not one.
    Invalid(String),
}

impl std::fmt::Display for InterpolationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InterpolationError::Required { name, message } => {
                write!(f, "the variable {name} is required but has no value: {message}")
            }
            InterpolationError::Invalid(s) => write!(f, "invalid interpolation: {s}"),
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphabetic()
}
fn is_name(c: u8) -> bool {
    c == b'_' || c.is_ascii_alphanumeric()
}

/// The index just past the `}` that closes the `${` at `start` (nested `${…}` counted).
fn closing(s: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < s.len() {
        if s[i] == b'$' && s.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if s[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i + 1);
            }
        }
        i += 1;
    }
    None
}

/// Interpolates `s` with `lookup` (None = unset).
pub fn interpolate(
    s: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut Outcome,
) -> Result<String, InterpolationError> {
    if !s.contains('$') {
        return Ok(s.to_owned());
    }
    let b = s.as_bytes();
    let mut r = String::with_capacity(s.len());
    let mut i = 0;
    let mut plain_from = 0;
    while i < b.len() {
        if b[i] != b'$' {
            i += 1;
            continue;
        }
        r.push_str(&s[plain_from..i]);
        match b.get(i + 1) {
            Some(b'$') => {
                r.push('$');
                i += 2;
            }
            Some(&c) if is_name_start(c) => {
                let mut j = i + 1;
                while j < b.len() && is_name(b[j]) {
                    j += 1;
                }
                let name = &s[i + 1..j];
                match lookup(name) {
                    Some(v) => r.push_str(&v),
                    None => note_unset(out, name),
                }
                i = j;
            }
            Some(b'{') => {
                let end = closing(b, i)
                    .ok_or_else(|| InterpolationError::Invalid(format!("{s:?} opens ${{ without closing it")))?;
                r.push_str(&braced(&s[i + 2..end - 1], s, lookup, out)?);
                i = end;
            }
            _ => {
                out.stray_dollar = true;
                r.push('$');
                i += 1;
            }
        }
        plain_from = i;
    }
    r.push_str(&s[plain_from..]);
    Ok(r)
}

fn note_unset(out: &mut Outcome, name: &str) {
    if !out.unset.iter().any(|n| n == name) {
        out.unset.push(name.to_owned());
    }
}

/// The inside of `${…}`.
fn braced(
    inner: &str,
    whole: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
    out: &mut Outcome,
) -> Result<String, InterpolationError> {
    let b = inner.as_bytes();
    if b.is_empty() || !is_name_start(b[0]) {
        return Err(InterpolationError::Invalid(format!("{whole:?} has ${{{inner}}}, which names no variable")));
    }
    let mut j = 1;
    while j < b.len() && is_name(b[j]) {
        j += 1;
    }
    let name = &inner[..j];
    let rest = &inner[j..];
    let value = lookup(name);
    if rest.is_empty() {
        return Ok(value.unwrap_or_else(|| {
            note_unset(out, name);
            String::new()
        }));
    }
    let (colon, op, arg) = match rest.as_bytes() {
        [b':', op @ (b'-' | b'?' | b'+'), ..] => (true, *op, &rest[2..]),
        [op @ (b'-' | b'?' | b'+'), ..] => (false, *op, &rest[1..]),
        _ => {
            return Err(InterpolationError::Invalid(format!(
                "{whole:?} has ${{{inner}}}: expected :-, -, :?, ?, :+ or + after {name}"
            )))
        }
    };
    // "set" for the colon forms means set and not empty.
    let set = match &value {
        Some(v) => !colon || !v.is_empty(),
        None => false,
    };
    match op {
        b'-' => {
            if set {
                Ok(value.unwrap_or_default())
            } else {
                interpolate(arg, lookup, out)
            }
        }
        b'+' => {
            if set {
                interpolate(arg, lookup, out)
            } else {
                Ok(String::new())
            }
        }
        _ => {
            if set {
                Ok(value.unwrap_or_default())
            } else {
                let message = interpolate(arg, lookup, out)?;
                Err(InterpolationError::Required { name: name.to_owned(), message })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &str) -> (Result<String, InterpolationError>, Outcome) {
        let env = |k: &str| match k {
            "SET" => Some("v".to_owned()),
            "EMPTY" => Some(String::new()),
            "PORT" => Some("8080".to_owned()),
            _ => None,
        };
        let mut o = Outcome::default();
        (interpolate(s, &env, &mut o), o)
    }
    fn ok(s: &str) -> String {
        run(s).0.unwrap()
    }

    #[test]
    fn the_forms_of_the_specification() {
        let table = [
            ("plain", "plain"),
            ("$SET", "v"),
            ("${SET}", "v"),
            ("a${SET}b$SET.c", "avbv.c"),
            ("${UNSET:-d}", "d"),
            ("${EMPTY:-d}", "d"),
            ("${EMPTY-d}", ""),
            ("${UNSET-d}", "d"),
            ("${SET:-d}", "v"),
            ("${SET:+alt}", "alt"),
            ("${EMPTY:+alt}", ""),
            ("${EMPTY+alt}", "alt"),
            ("${UNSET+alt}", ""),
            ("${UNSET:-${SET}}", "v"),
            ("${UNSET:-${ALSO:-x}}y", "xy"),
            ("$$SET", "$SET"),
            ("$${SET}", "${SET}"),
            ("${UNSET:-a:b}", "a:b"),
            ("127.0.0.1:${PORT}:80", "127.0.0.1:8080:80"),
            ("${UNSET:-}", ""),
        ];
        for (input, want) in table {
            assert_eq!(ok(input), want, "{input}");
        }
    }

    #[test]
    fn unset_required_and_invalid() {
        let (r, o) = run("${UNSET}x$ALSO");
        assert_eq!(r.unwrap(), "x");
        assert_eq!(o.unset, vec!["UNSET", "ALSO"]);
        assert_eq!(
            run("${UNSET:?give it}").0.unwrap_err(),
            InterpolationError::Required { name: "UNSET".into(), message: "give it".into() }
        );
        assert!(run("${EMPTY:?x}").0.is_err());
        assert_eq!(ok("${EMPTY?x}"), "");
        assert!(matches!(run("${SET").0, Err(InterpolationError::Invalid(_))));
        assert!(matches!(run("${}").0, Err(InterpolationError::Invalid(_))));
        assert!(matches!(run("${1A}").0, Err(InterpolationError::Invalid(_))));
        assert!(matches!(run("${SET/a/b}").0, Err(InterpolationError::Invalid(_))));
        let (r, o) = run("cost $ 5");
        assert_eq!(r.unwrap(), "cost $ 5");
        assert!(o.stray_dollar);
    }
}
