//! Checks documents against the JSON schemas kept in docs/.

use serde_json::Value;

fn load(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn audit_schema() -> Value {
    load("audit.schema.json")
}

pub fn sarif_schema() -> Value {
    load("sarif-2.1.0-subset.schema.json")
}

/// Every violation, one per line.
pub fn check(doc: &Value, schema: &Value) -> Result<(), String> {
    let v = jsonschema::validator_for(schema).map_err(|e| format!("the schema itself: {e}"))?;
    let errors: Vec<String> = v.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("\n"))
    }
}
