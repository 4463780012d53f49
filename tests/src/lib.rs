//! End-to-end test support: starting real binaries (scrapelet, prometheus, node exporter) and querying them.
