//! A scraped body: the first byte's low bit picks text 0.0.4 or OpenMetrics. The body goes
//! through the plain parser (every sample's labels parsed as a new series would be), then twice
//! through the scrape path of a job with relabelling and limits, as the same body scraped twice:
//! both scrapes must agree (the second one answers from the series cache).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use scrapelet::config::Config;
use scrapelet::scrape::Target;
use scrapelet::scrape::parse::{Entry, Format, Parser, series_labels};
use scrapelet::scrape::scraper::Scraper;
use scrapelet::scrape::target::targets_for_job;
use scrapelet::series::SeriesFactory;

const JOB: &str = r#"
scrape_configs:
  - job_name: fuzz
    sample_limit: 5000
    label_limit: 30
    label_value_length_limit: 200
    metric_relabel_configs:
      - {source_labels: [__name__], regex: "drop_.*", action: drop}
      - {regex: "tmp_.*", action: labeldrop}
      - {source_labels: [job, instance], separator: "/", target_label: origin}
    static_configs: [{targets: ["127.0.0.1:9"]}]
"#;

fn setup() -> &'static (Target, Arc<SeriesFactory>) {
    static S: OnceLock<(Target, Arc<SeriesFactory>)> = OnceLock::new();
    S.get_or_init(|| {
        let job = Arc::new(Config::from_yaml(JOB).expect("fuzz job").scrape_configs.remove(0));
        let target = targets_for_job(&job).remove(0).expect("fuzz target");
        (target, Arc::new(SeriesFactory::default()))
    })
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().expect("fuzz runtime"))
}

pub fn exposition(data: &[u8]) {
    let (mode, body) = super::split_mode(data);
    let format = if mode & 1 == 1 { Format::OpenMetrics } else { Format::Text };
    let mut parser = Parser::new(body, format);
    for steps in 0.. {
        assert!(steps <= body.len() + 1, "the parser does not advance");
        match parser.next() {
            Ok(Some(Entry::Sample { series, .. })) => {
                let _ = series_labels(series, parser.metric_type());
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    let (target, factory) = setup();
    let mut scraper = Scraper::new(target.clone(), factory.clone());
    let (first, second) = runtime().block_on(async {
        let first = scraper.process(Ok((body, format)), 1_000, Duration::ZERO).await;
        (first, scraper.process(Ok((body, format)), 2_000, Duration::ZERO).await)
    });
    let ((_, first, first_error), (_, second, second_error)) = (first, second);
    let describe = |e: &Option<scrapelet::scrape::ScrapeError>| e.as_ref().map(|e| e.reason());
    assert_eq!(describe(&first_error), describe(&second_error), "the same body scraped twice fails differently");
    if first_error.is_none() {
        assert_eq!(
            (first.scraped, first.post_relabel),
            (second.scraped, second.post_relabel),
            "{first:?} then {second:?}"
        );
    }
}
