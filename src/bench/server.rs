//! The database servers the harness measures (PostgreSQL, MariaDB), each with its own admin
//! URL, its tools and its same-run references: one column of the table per server, the rows
//! shared.

use std::time::Duration;

use super::mariadb::{self, Sysbench};
use super::pg::{self, Pgbench, RefRun};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Postgres,
    MariaDb,
}

/// A database server the harness creates its databases on.
#[derive(Debug, Clone)]
pub struct Server {
    pub kind: Kind,
    /// Admin URL: the harness creates (and drops) its databases through it.
    pub admin_url: String,
}

/// What a reference run measures against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// One indexed SELECT per transaction: GET /me's reference.
    Read,
    /// A short write transaction: POST /login's reference.
    Write,
}

impl Kind {
    /// The backend's name in the table.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Postgres => "PostgreSQL",
            Kind::MariaDb => "MariaDB",
        }
    }
}

impl Server {
    pub fn label(&self) -> &'static str {
        self.kind.label()
    }

    /// Creates an empty database named `prefix_<random>` and returns its URL.
    pub async fn create_database(&self, prefix: &str) -> anyhow::Result<String> {
        match self.kind {
            Kind::Postgres => pg::create_database(&self.admin_url, prefix).await,
            Kind::MariaDb => mariadb::create_database(&self.admin_url, prefix).await,
        }
    }

    pub async fn drop_database(&self, url: &str) -> anyhow::Result<()> {
        match self.kind {
            Kind::Postgres => pg::drop_database(&self.admin_url, url).await,
            Kind::MariaDb => mariadb::drop_database(&self.admin_url, url).await,
        }
    }

    /// The reference tool as the table names it.
    pub fn reference_name(&self, r: Reference) -> &'static str {
        match (self.kind, r) {
            (Kind::Postgres, Reference::Read) => "pgbench -S",
            (Kind::Postgres, Reference::Write) => "pgbench (TPC-B-like)",
            (Kind::MariaDb, Reference::Read) => "sysbench oltp_point_select",
            (Kind::MariaDb, Reference::Write) => "sysbench oltp_write_only",
        }
    }

    /// Runs the reference on a database of its own on this server (created and dropped here).
    pub async fn reference(&self, r: Reference, clients: u32, secs: u32) -> anyhow::Result<RefRun> {
        let url = self.create_database("wxbench_ref").await?;
        let (kind, u) = (self.kind, url.clone());
        let run = tokio::task::spawn_blocking(move || match (kind, r) {
            (Kind::Postgres, Reference::Read) => {
                pg::pgbench(&u, Pgbench::SelectOnly, clients, secs)
            }
            (Kind::Postgres, Reference::Write) => pg::pgbench(&u, Pgbench::TpcB, clients, secs),
            (Kind::MariaDb, Reference::Read) => {
                mariadb::sysbench(&u, Sysbench::PointSelect, clients, secs)
            }
            (Kind::MariaDb, Reference::Write) => {
                mariadb::sysbench(&u, Sysbench::WriteOnly, clients, secs)
            }
        })
        .await?;
        self.drop_database(&url).await?;
        run
    }

    /// The command-line client as the table names it.
    pub fn client_name(&self) -> &'static str {
        match self.kind {
            Kind::Postgres => "psql -X -Atc",
            Kind::MariaDb => mariadb::client_name(),
        }
    }

    /// Wall time of the command-line client running `q` (arguments written in) on `url`.
    pub fn time_client(&self, url: &str, q: &crate::store::QueryText) -> anyhow::Result<Duration> {
        match self.kind {
            Kind::Postgres => pg::time_psql(url, &q.to_pg_literal_sql()),
            Kind::MariaDb => mariadb::time_client(url, &q.to_mysql_literal_sql()),
        }
    }
}
