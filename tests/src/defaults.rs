//! The agent's embedded cluster default (`agent/src/cli/default-kubernetes.yml`) as text, cut
//! into what a test needs: the pod-discovery tests run it without the `kubelet` job, the kubelet
//! tests run that job alone, pointed at the test kubelet. Both keep the shipped text otherwise.

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

/// The shipped `kubelet` job alone, in a config scraping every second into `write_url`, with the
/// kubelet on `127.0.0.1:<port>` reached as `${NODE_IP}:<port>` (so run the agent with
/// `NODE_IP=127.0.0.1` and `NODE_NAME`), and the token and CA files given.
pub fn kubelet_job_config(
    port: u16,
    token_file: &std::path::Path,
    ca_file: &std::path::Path,
    write_url: &str,
) -> String {
    let job = &KUBERNETES[kubelet_job_range()];
    let replaced = job
        .replace("${NODE_IP}:10250", &format!("${{NODE_IP}}:{port}"))
        .replace("/var/run/secrets/kubernetes.io/serviceaccount/token", &token_file.display().to_string())
        .replace("/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", &ca_file.display().to_string());
    assert_eq!(replaced.matches(&format!(":{port}\"")).count(), 3, "the kubelet job's shape changed");
    format!(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n{replaced}remote_write:\n  - url: {write_url}\n    queue_config:\n      batch_send_deadline: 200ms\n"
    )
}
