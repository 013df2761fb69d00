//! `--format json`: the [`Report`] serialised, one document.

use std::io::{self, Write};

use super::{Exporter, Report};

pub(crate) struct JsonExporter;

impl Exporter for JsonExporter {
    fn finish(&mut self, out: &mut dyn Write, report: &Report) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
