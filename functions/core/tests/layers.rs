//! The core's layers, read from its source: every module sits in one layer,
//! an import may point to its own layer or one below, never up; no two
//! files import each other; and only `wiring` (which builds the real
//! adapters) names another port's adapter. `lib.rs` lists the layers in
//! this order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom first. A module not listed here fails the test: a new module
/// takes its place in a layer on purpose.
const LAYERS: &[&[&str]] = &[
    // Foundations: no port, no record.
    &[
        "time",
        "telemetry",
        "error_name",
        "layout",
        "job_id",
        "metrics",
        "aws",
    ],
    // Every record that crosses a boundary.
    &["model"],
    // Rules over the records.
    &["validation", "redact", "pacing"],
    // The ports, each beside its real and fake adapters.
    &[
        "quicksight",
        "storage",
        "coordination",
        "callbacks",
        "events",
        "executions",
    ],
    // The one error that leaves the core, and what reads settings and requests.
    &["error", "input", "settings", "request_store", "planning"],
    // The steps, and delivering what they record.
    &["delivery", "steps"],
    // What the binaries call: the JSON faces and the API.
    &["handlers", "api"],
    // Building the real ports from the environment.
    &["wiring"],
];

/// Module names of adapters that talk to AWS: only `wiring` builds them.
const ADAPTERS: &[&str] = &["sdk", "sdk_bundles", "s3", "dynamodb", "sfn", "eventbridge"];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The file's code without its unit tests and comments.
fn code_of(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap();
    text.lines()
        .map(|line| line.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every `crate::a::b` path in `code`, as (a, b), b empty when absent.
fn crate_paths(code: &str) -> BTreeSet<(String, String)> {
    let mut paths = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        let word = |s: &str| -> String {
            s.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        };
        let first = word(rest);
        let second = rest[first.len()..]
            .strip_prefix("::")
            .map(word)
            .unwrap_or_default();
        paths.insert((first, second));
    }
    paths
}

struct SourceFile {
    /// Relative to src/, with `/`.
    name: String,
    module: String,
    code: String,
}

fn source_files() -> Vec<SourceFile> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let name = path
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let module = name
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_string();
            (module != "lib").then(|| SourceFile {
                code: code_of(&path),
                name,
                module,
            })
        })
        .collect()
}

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

#[test]
fn no_import_points_up_a_layer() {
    let mut wrong = Vec::new();
    for file in source_files() {
        let Some(own) = layer_of(&file.module) else {
            wrong.push(format!(
                "{}: module {} is in no layer",
                file.name, file.module
            ));
            continue;
        };
        for (module, _) in crate_paths(&file.code) {
            if module == file.module {
                continue;
            }
            match layer_of(&module) {
                Some(layer) if layer <= own => {}
                Some(layer) => wrong.push(format!(
                    "{} (layer {own}) imports {module} (layer {layer})",
                    file.name
                )),
                None => wrong.push(format!("{} imports {module}, in no layer", file.name)),
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_wiring_names_another_ports_adapter() {
    let mut wrong = Vec::new();
    for file in source_files() {
        if file.module == "wiring" {
            continue;
        }
        for (module, item) in crate_paths(&file.code) {
            if module != file.module && ADAPTERS.contains(&item.as_str()) {
                wrong.push(format!("{} uses crate::{module}::{item}", file.name));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_two_files_import_each_other() {
    let files = source_files();
    let names: BTreeSet<&str> = files.iter().map(|f| f.name.as_str()).collect();
    // The files a path `crate::a::b` or `super::b` can name.
    let targets = |file: &SourceFile| -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut candidates = Vec::new();
        for (a, b) in crate_paths(&file.code) {
            candidates.push(format!("{a}/{b}"));
        }
        let dir = file.name.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        let parent = if file.name.ends_with("/mod.rs") {
            dir.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
        } else {
            dir
        };
        for (i, _) in file.code.match_indices("super::") {
            let b: String = file.code[i + "super::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            candidates.push(if parent.is_empty() {
                b
            } else {
                format!("{parent}/{b}")
            });
        }
        for candidate in candidates {
            for name in [format!("{candidate}.rs"), format!("{candidate}/mod.rs")] {
                if names.contains(name.as_str()) && name != file.name {
                    out.insert(name);
                }
            }
        }
        out
    };
    let imports: BTreeMap<&str, BTreeSet<String>> = files
        .iter()
        .map(|f| (f.name.as_str(), targets(f)))
        .collect();
    let mut circles = Vec::new();
    for (a, targets) in &imports {
        for b in targets {
            if b.as_str() > *a && imports[b.as_str()].contains(*a) {
                circles.push(format!("{a} <-> {b}"));
            }
        }
    }
    assert!(circles.is_empty(), "{}", circles.join("\n"));
}
