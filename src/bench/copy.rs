//! PostgreSQL's binary COPY format, written by hand: the fastest way to load rows (the server
//! parses no text, and bytea/timestamps go over as they are stored).

use chrono::{DateTime, Utc};

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
const PG_EPOCH_OFFSET_US: i64 = 946_684_800_000_000;

/// A buffer of rows in `COPY ... FROM STDIN (FORMAT binary)` layout.
pub struct BinaryCopy {
    pub buf: Vec<u8>,
}

impl BinaryCopy {
    /// An empty buffer; `header` writes the signature that must start the stream.
    pub fn with_capacity(cap: usize) -> Self {
        BinaryCopy {
            buf: Vec::with_capacity(cap),
        }
    }

    pub fn header(&mut self) {
        self.buf.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
        self.buf.extend_from_slice(&0i32.to_be_bytes()); // flags
        self.buf.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    }

    pub fn trailer(&mut self) {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
    }

    pub fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    pub fn null(&mut self) {
        self.buf.extend_from_slice(&(-1i32).to_be_bytes());
    }

    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(&(v.len() as i32).to_be_bytes());
        self.buf.extend_from_slice(v);
    }

    pub fn text(&mut self, v: &str) {
        self.bytes(v.as_bytes());
    }

    pub fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    pub fn i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&8i32.to_be_bytes());
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub fn ts(&mut self, t: DateTime<Utc>) {
        self.i64(t.timestamp_micros() - PG_EPOCH_OFFSET_US);
    }

    pub fn opt_ts(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.ts(t),
            None => self.null(),
        }
    }

    /// jsonb in binary form: a version byte (1) and the JSON text.
    pub fn jsonb(&mut self, json: &str) {
        self.buf
            .extend_from_slice(&(json.len() as i32 + 1).to_be_bytes());
        self.buf.push(1);
        self.buf.extend_from_slice(json.as_bytes());
    }
}
