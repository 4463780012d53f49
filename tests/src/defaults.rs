//! The agent's embedded cluster default (`agent/src/cli/default-kubernetes.yml`) as text, cut
//! into what a test needs: the pod-discovery tests run it without the `kubelet` job, the kubelet
//! tests run that job alone, pointed at the test kubelet, and the dashboard test runs all of it.
//! All keep the shipped text otherwise.

use std::path::Path;

/// The embedded default, verbatim.
pub const KUBERNETES: &str = include_str!("../../agent/src/cli/default-kubernetes.yml");

/// The byte range of the `kubelet` job: from the blank line before its comment block to
/// `remote_write:`.
fn kubelet_job_range() -> std::ops::Range<usize> {
    let job = KUBERNETES.find("  - job_name: kubelet\n").expect("the default has a kubelet job");
    let start = KUBERNETES[..job].rfind("\n\n").expect("a blank line before the kubelet job") + 1;
    let end = KUBERNETES.find("\nremote_write:").expect("remote_write after the jobs") + 1;
    start..end
}

/// The default without its `kubelet` job.
pub fn without_kubelet_job() -> String {
    let mut text = KUBERNETES.to_string();
    text.replace_range(kubelet_job_range(), "");
    text
}

/// The shipped `kubelet` job with the kubelet on `127.0.0.1:<port>` reached as `${NODE_IP}:<port>`
/// (so run the agent with `NODE_IP=127.0.0.1` and `NODE_NAME`), and the token and CA files given.
fn kubelet_job_for(port: u16, token_file: &Path, ca_file: &Path) -> String {
    let job = &KUBERNETES[kubelet_job_range()];
    let replaced = job
        .replace("${NODE_IP}:10250", &format!("${{NODE_IP}}:{port}"))
        .replace("/var/run/secrets/kubernetes.io/serviceaccount/token", &token_file.display().to_string())
        .replace("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", &ca_file.display().to_string());
    assert_eq!(replaced.matches(&format!(":{port}\"")).count(), 3, "the kubelet job's shape changed");
    replaced
}

/// Every second, with a short remote-write deadline, into `write_url`.
fn fast(text: &str, write_url: &str) -> String {
    let text = text
        .replacen("scrape_interval: 30s", "scrape_interval: 1s", 1)
        .replacen("scrape_timeout: 10s", "scrape_timeout: 900ms", 1)
        .replace("${REMOTE_WRITE_URL}", write_url);
    text + "    queue_config:\n      batch_send_deadline: 200ms\n"
}

/// The shipped `kubelet` job alone (see [`kubelet_job_for`]), scraping every second into `write_url`.
pub fn kubelet_job_config(port: u16, token_file: &Path, ca_file: &Path, write_url: &str) -> String {
    let job = kubelet_job_for(port, token_file, ca_file);
    fast(
        &format!(
            "global:\n  scrape_interval: 30s\n  scrape_timeout: 10s\nscrape_configs:\n{job}remote_write:\n  - url: \"${{REMOTE_WRITE_URL}}\"\n"
        ),
        write_url,
    )
}

/// The whole embedded default, every job of it, as an end-to-end test runs it: every second into
/// `write_url`, pod discovery through the API server of `kubeconfig`, the kubelet job as in
/// [`kubelet_job_for`], and `plugins` (a `plugins:` section, or empty) declared.
pub fn whole_default(kubeconfig: &Path, kubelet: (u16, &Path, &Path), plugins: &str, write_url: &str) -> String {
    let mut text = KUBERNETES.to_string();
    text.replace_range(kubelet_job_range(), &kubelet_job_for(kubelet.0, kubelet.1, kubelet.2));
    let text = text
        .replacen(
            "      - role: pod\n",
            &format!("      - role: pod\n        kubeconfig_file: {}\n", kubeconfig.display()),
            1,
        )
        .replacen("\nscrape_configs:\n", &format!("\n{plugins}scrape_configs:\n"), 1);
    assert!(text.contains("kubeconfig_file"), "the default's shape changed");
    fast(&text, write_url)
}
