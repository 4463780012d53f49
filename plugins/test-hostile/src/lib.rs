//! A hostile exporter for the agent's sandbox tests. `config: {mode: ...}` picks the misdeed:
//! `loop`, `memory`, `trap`, `panic`, `huge`, `file`, `socket`, `other-host`, `env`; `ok` (or
//! none) behaves and reports `hostile_ok 1`.

use std::hint::black_box;

use scrapelet_plugin_sdk::{Config, Exporter, Exposition, Target, export_exporter, host};

struct Hostile {
    mode: String,
}

impl Exporter for Hostile {
    fn init(config: Config) -> Result<Self, String> {
        Ok(Hostile { mode: config.str("mode").unwrap_or("ok").to_string() })
    }

    fn collect(&mut self, _target: &Target, out: &mut Exposition) -> Result<(), String> {
        match self.mode.as_str() {
            "loop" => endless(),
            "memory" => grow_forever(),
            "trap" => std::process::abort(),
            "panic" => panic!("hostile plugin panicked on purpose"),
            "huge" => huge(out),
            "file" => read_file(out)?,
            "socket" => connect(out)?,
            "other-host" => {
                host::fetch("GET", "http://127.0.0.1:1/metrics", &[], &[])?;
                out.sample("hostile_escaped", &[] as &[(&str, &str)], 1.0);
            }
            "env" => {
                let n = std::env::vars().count();
                out.sample("hostile_env_vars", &[] as &[(&str, &str)], n as f64);
            }
            _ => {
                out.sample("hostile_ok", &[] as &[(&str, &str)], 1.0);
            }
        }
        Ok(())
    }
}

fn endless() -> ! {
    let mut x = 0u64;
    loop {
        x = black_box(x.wrapping_add(1));
    }
}

fn grow_forever() -> ! {
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    loop {
        hoard.push(black_box(vec![1u8; 1 << 20]));
    }
}

fn huge(out: &mut Exposition) {
    for i in 0..200_000 {
        out.sample("hostile_huge", &[("i", i.to_string())], 1.0);
    }
}

fn read_file(out: &mut Exposition) -> Result<(), String> {
    let text = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("open /etc/passwd: {e}"))?;
    out.sample("hostile_read_bytes", &[] as &[(&str, &str)], text.len() as f64);
    Ok(())
}

fn connect(out: &mut Exposition) -> Result<(), String> {
    std::net::TcpStream::connect("127.0.0.1:22").map_err(|e| format!("connect: {e}"))?;
    out.sample("hostile_connected", &[] as &[(&str, &str)], 1.0);
    Ok(())
}

export_exporter!(Hostile);
