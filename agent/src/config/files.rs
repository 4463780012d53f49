//! `scrape_config_files:`: more jobs read from files, as Prometheus 3 does: each entry is a path
//! (relative to the main file's directory) whose last part may hold one `*`; every file it
//! matches holds a `scrape_configs:` list (and nothing else), validated with the main file's
//! `global:`. Job names must be unique across all files.
//!
//! Entry point: [`read`]. Files are read whenever the configuration is (start and reload).

use std::path::{Path, PathBuf};

use super::yaml::{self, Errors, Kind, MapReader, Node};
use super::{GlobalConfig, IgnoredKey, ScrapeConfig};

/// Prometheus' `patRulePath`: `^[^*]*(\*[^/]*)?$`.
fn valid_pattern(p: &str) -> bool {
    match p.find('*') {
        None => true,
        Some(i) => !p[i + 1..].contains(['*', '/']),
    }
}

/// Reads the jobs of every file the `scrape_config_files` list at `node` names; `dir` is the main
/// file's directory. Problems are recorded with the file's name in their path.
pub(super) fn read(
    node: &Node,
    dir: &Path,
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> Vec<(ScrapeConfig, String)> {
    let Kind::Seq(items) = &node.kind else {
        errors.push(node.line, "scrape_config_files", format!("expected a list, found {}", node.describe()));
        return Vec::new();
    };
    let mut jobs = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let path = format!("scrape_config_files[{i}]");
        let Some(pattern) = item.as_str() else {
            errors.push(item.line, &path, "expected a file path");
            continue;
        };
        if !valid_pattern(pattern) {
            errors.push(item.line, &path, format!("invalid scrape config file path {pattern:?}"));
            continue;
        }
        for file in glob(&dir.join(pattern)) {
            jobs.extend(read_file(&file, global, plugins, errors, ignored));
        }
    }
    jobs
}

/// The jobs of one file, each with the file's name (for "first found in" messages).
fn read_file(
    file: &Path,
    global: &GlobalConfig,
    plugins: &[String],
    errors: &mut Errors,
    ignored: &mut Vec<IgnoredKey>,
) -> Vec<(ScrapeConfig, String)> {
    let shown = file.display().to_string();
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => {
            errors.push(0, &shown, format!("cannot read scrape config file: {e}"));
            return Vec::new();
        }
    };
    let root = match yaml::parse(&text) {
        Ok(r) => r,
        Err(e) => {
            errors.push(e.line, &shown, e.message);
            return Vec::new();
        }
    };
    let mut file_errors = Errors::default();
    let mut r = MapReader::new(&root, "", &mut file_errors);
    let nodes = r.list("scrape_configs");
    let jobs = super::scrape::parse_each(&nodes, global, plugins, r.errors, ignored);
    r.finish();
    for e in file_errors.0 {
        let path = if e.path.is_empty() { shown.clone() } else { format!("{shown}: {}", e.path) };
        errors.push(e.line, &path, e.message);
    }
    let file_dir = file.parent().unwrap_or(Path::new("."));
    let mut jobs: Vec<ScrapeConfig> = jobs.into_iter().map(|(job, _)| job).collect();
    for job in &mut jobs {
        job.http.set_directory(file_dir); // relative paths in a file are relative to it
        job.scrape_failure_log_file = job.scrape_failure_log_file.as_ref().map(|f| file_dir.join(f));
    }
    jobs.into_iter().map(|job| (job, format!("{shown:?}"))).collect()
}

/// Go's `filepath.Glob` for a pattern whose wildcards (`*`, `?`, `[...]`) are in its last part:
/// the matching files, sorted; the path itself if it has no wildcard and exists.
fn glob(pattern: &Path) -> Vec<PathBuf> {
    let Some(name) = pattern.file_name().and_then(|n| n.to_str()) else { return Vec::new() };
    let dir = pattern.parent().unwrap_or(Path::new("."));
    if !name.contains(['*', '?', '[']) {
        return if pattern.exists() { vec![pattern.to_path_buf()] } else { Vec::new() };
    }
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| matches(name.as_bytes(), n.as_bytes())))
        .map(|e| e.path())
        .collect();
    out.sort();
    out
}

/// Go's `filepath.Match` within one path part: `*` any run, `?` one byte, `[...]` a class
/// (`^` negates, `a-z` ranges), `\` escapes.
fn matches(p: &[u8], s: &[u8]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => (0..=s.len()).any(|i| matches(&p[1..], &s[i..])),
        Some(b'?') => !s.is_empty() && matches(&p[1..], &s[1..]),
        Some(b'[') => {
            let Some(end) = p.iter().skip(1).position(|&c| c == b']').map(|e| e + 1) else { return false };
            let (neg, set) = match p[1..end].strip_prefix(b"^") {
                Some(set) => (true, set),
                None => (false, &p[1..end]),
            };
            let Some(&c) = s.first() else { return false };
            let mut hit = false;
            let mut i = 0;
            while i < set.len() {
                if i + 2 < set.len() && set[i + 1] == b'-' {
                    hit |= set[i] <= c && c <= set[i + 2];
                    i += 3;
                } else {
                    hit |= set[i] == c;
                    i += 1;
                }
            }
            hit != neg && matches(&p[end + 1..], &s[1..])
        }
        Some(b'\\') if p.len() > 1 => s.first() == Some(&p[1]) && matches(&p[2..], &s[1..]),
        Some(&c) => s.first() == Some(&c) && matches(&p[1..], &s[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_follow_prometheus_rule_path_check() {
        assert!(valid_pattern("scrape_configs/*.yml") && valid_pattern("a/b.yml"));
        assert!(!valid_pattern("scrape_configs/*/*") && !valid_pattern("a/*/b.yml"));
    }

    #[test]
    fn glob_matching_is_go_filepath_match() {
        assert!(matches(b"*.yml", b"a.yml") && !matches(b"*.yml", b"a.yaml"));
        assert!(matches(b"job-?.yml", b"job-1.yml") && matches(b"[a-c]*", b"b1") && !matches(b"[^a-c]*", b"b1"));
    }
}
