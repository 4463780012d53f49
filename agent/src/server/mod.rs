//! The agent's own HTTP endpoints: `/metrics`, `/-/healthy`, `/-/ready`.
