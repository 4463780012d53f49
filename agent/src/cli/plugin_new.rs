//! `scrapelet plugin new NAME --exporter|--transform`: writes a plugin crate that builds on its
//! own, with no scrapelet checkout and no network but the package registry: the SDK
//! (`plugins/sdk`) and the WIT contract (`wit/`) of this binary are embedded in it and written
//! into the crate, next to a working `lib.rs`, its configuration, a sample input to try it with
//! `plugin run`, an agent configuration and a README.
//!
//! Entry point: [`main`]. It never overwrites: an existing non-empty directory is an error.

use std::path::{Path, PathBuf};

/// `plugin new` options.
#[derive(clap::Args, Debug)]
#[command(group(clap::ArgGroup::new("world").required(true).args(["exporter", "transform"])))]
pub struct NewPluginArgs {
    /// The crate's name (letters, digits, `-` and `_`); the plugin is `NAME.wasm` with `-` as `_`.
    pub name: String,
    /// An exporter: turns what the target serves (JSON, ...) into metrics.
    #[arg(long)]
    pub exporter: bool,
    /// A transform: keeps, drops, rewrites or rescales each new series.
    #[arg(long)]
    pub transform: bool,
    /// Where to create the crate's directory `NAME` (default: the current directory).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
}

/// The SDK's source files, as `sdk/src/<name>`.
const SDK_SRC: &[(&str, &str)] = &[
    ("lib.rs", include_str!("../../../plugins/sdk/src/lib.rs")),
    ("config.rs", include_str!("../../../plugins/sdk/src/config.rs")),
    ("exporter.rs", include_str!("../../../plugins/sdk/src/exporter.rs")),
    ("exposition.rs", include_str!("../../../plugins/sdk/src/exposition.rs")),
    ("host.rs", include_str!("../../../plugins/sdk/src/host.rs")),
    ("labels.rs", include_str!("../../../plugins/sdk/src/labels.rs")),
    ("state.rs", include_str!("../../../plugins/sdk/src/state.rs")),
    ("transform.rs", include_str!("../../../plugins/sdk/src/transform.rs")),
];
const SDK_MANIFEST: &str = include_str!("../../../plugins/sdk/Cargo.toml");
const WIT: &str = include_str!("../../../wit/plugin.wit");
const README: &str = include_str!("plugin_new/README.md.in");

/// What differs between the two kinds of plugin.
struct Kind {
    world: &'static str,
    lib: &'static str,
    config: &'static str,
    agent: &'static str,
    /// The sample input: file name, content, `plugin run` flag, README line.
    input: (&'static str, &'static str, &'static str, &'static str),
    trait_: &'static str,
    macro_: &'static str,
}

const EXPORTER: Kind = Kind {
    world: "exporter",
    lib: include_str!("plugin_new/exporter.rs.in"),
    config: include_str!("plugin_new/exporter.plugin.yml"),
    agent: include_str!("plugin_new/exporter.scrapelet.yml"),
    input: (
        "sample.json",
        include_str!("plugin_new/exporter.sample.json"),
        "--payload sample.json",
        "`sample.json` — a captured response: with `--payload` every fetch of the plugin gets it; \
         `--target HOST:PORT` fetches from a live target instead.",
    ),
    trait_: "Exporter",
    macro_: "export_exporter!(Plugin)",
};

const TRANSFORM: Kind = Kind {
    world: "transform",
    lib: include_str!("plugin_new/transform.rs.in"),
    config: include_str!("plugin_new/transform.plugin.yml"),
    agent: include_str!("plugin_new/transform.scrapelet.yml"),
    input: (
        "series.txt",
        include_str!("plugin_new/transform.series.txt"),
        "--series series.txt",
        "`series.txt` — series to try it on: a saved `/metrics` page, or one `name{a=\"b\"}` a line.",
    ),
    trait_: "Transform",
    macro_: "export_transform!(Plugin)",
};

pub fn main(args: &NewPluginArgs) -> i32 {
    let kind = if args.exporter { &EXPORTER } else { &TRANSFORM };
    let root = args.dir.join(&args.name);
    match create(&root, &args.name, kind) {
        Ok(()) => {
            let wasm = format!("target/wasm32-wasip2/release/{}.wasm", crate_name(&args.name));
            println!("Created the {} plugin crate {}. Next:", kind.world, root.display());
            println!("  cd {}", root.display());
            println!("  cargo build --release");
            println!("  scrapelet plugin check {wasm}");
            println!("  scrapelet plugin run {wasm} --config plugin.yml {}", kind.input.2);
            println!("  scrapelet run --config scrapelet.yml   # after setting its target and remote_write URL");
            0
        }
        Err(e) => {
            eprintln!("scrapelet plugin new: {e}");
            1
        }
    }
}

/// The library's name: the `.wasm` file is `<crate_name>.wasm`.
fn crate_name(name: &str) -> String {
    name.replace('-', "_")
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(format!("{name:?} is not a crate name: a letter, then letters, digits, `-` or `_`"))
    }
}

/// Every file of the new crate, by path relative to its root.
fn files(name: &str, kind: &Kind) -> Vec<(String, String)> {
    let fill = |t: &str| {
        t.replace("{{name}}", name)
            .replace("{{crate}}", &crate_name(name))
            .replace("{{version}}", env!("CARGO_PKG_VERSION"))
            .replace("{{kind}}", kind.world)
            .replace("{{trait}}", kind.trait_)
            .replace("{{macro}}", kind.macro_)
            .replace("{{input}}", kind.input.2)
            .replace("{{input_doc}}", kind.input.3)
    };
    let mut files = vec![
        ("Cargo.toml".to_string(), manifest(name, kind.world)),
        ("src/lib.rs".into(), fill(kind.lib)),
        ("README.md".into(), fill(README)),
        ("plugin.yml".into(), kind.config.to_string()),
        (kind.input.0.into(), kind.input.1.to_string()),
        ("scrapelet.yml".into(), fill(kind.agent)),
        (".cargo/config.toml".into(), "[build]\ntarget = \"wasm32-wasip2\"\n".into()),
        (".gitignore".into(), "/target\n".into()),
        ("wit/plugin.wit".into(), WIT.to_string()),
        ("sdk/Cargo.toml".into(), sdk_manifest()),
    ];
    files.extend(SDK_SRC.iter().map(|(f, text)| (format!("sdk/src/{f}"), sdk_source(text))));
    files
}

/// The bindings find the WIT files from the SDK's directory: `plugins/sdk` → `wit/` in
/// scrapelet's repository, `sdk/` → `wit/` in the new crate.
fn sdk_source(text: &str) -> String {
    text.replace(r#"path: "../../wit","#, r#"path: "../wit","#)
}

fn manifest(name: &str, world: &str) -> String {
    format!(
        r#"[package]
name = "{name}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
# The scrapelet plugin SDK (written here by `scrapelet plugin new`); the feature is the plugin's
# world, "exporter" or "transform".
scrapelet-plugin-sdk = {{ path = "sdk", features = ["{world}"] }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

# A workspace of its own, even inside another one's directory.
[workspace]

[profile.release]
opt-level = "s"
strip = true
"#
    )
}

/// The SDK's manifest without its place in scrapelet's own workspace.
fn sdk_manifest() -> String {
    SDK_MANIFEST
        .lines()
        .filter(|l| !l.starts_with("workspace =") && !l.starts_with("# A member of the repository's root workspace"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn create(root: &Path, name: &str, kind: &Kind) -> Result<(), String> {
    check_name(name)?;
    if root.read_dir().is_ok_and(|mut d| d.next().is_some()) {
        return Err(format!("{} exists and is not empty", root.display()));
    }
    for (path, text) in files(name, kind) {
        let path = root.join(path);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeds_every_sdk_source_file() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/src");
        let mut on_disk: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        on_disk.sort();
        let mut embedded: Vec<&str> = SDK_SRC.iter().map(|(f, _)| *f).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded, "plugin new must write the whole SDK: update SDK_SRC");
    }

    #[test]
    fn the_sdk_copy_finds_the_crates_wit_and_stands_alone() {
        let files = files("my-plugin", &TRANSFORM);
        let get = |p: &str| &files.iter().find(|(f, _)| f == p).unwrap().1;
        for world in ["sdk/src/exporter.rs", "sdk/src/transform.rs"] {
            assert!(get(world).contains(r#"path: "../wit","#), "{world}");
        }
        assert!(!get("sdk/Cargo.toml").contains("workspace"));
        assert!(get("Cargo.toml").contains(r#"features = ["transform"]"#));
        assert!(get("scrapelet.yml").contains("target/wasm32-wasip2/release/my_plugin.wasm"));
        assert!(files.iter().all(|(_, text)| !text.contains("{{")), "a placeholder left unfilled");
    }

    #[test]
    fn refuses_bad_names_and_non_empty_directories() {
        assert!(check_name("9lives").is_err() && check_name("a b").is_err() && check_name("my-plugin_2").is_ok());
        let dir = std::env::temp_dir().join(format!("scrapelet-plugin-new-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("taken")).unwrap();
        std::fs::write(dir.join("taken/keep.txt"), "mine").unwrap();
        assert!(create(&dir.join("taken"), "taken", &EXPORTER).unwrap_err().contains("not empty"));
        assert_eq!(std::fs::read_to_string(dir.join("taken/keep.txt")).unwrap(), "mine");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
