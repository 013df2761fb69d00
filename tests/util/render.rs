//! Pages as a browser draws them, for the tests that look at a report: headless Chromium's
//! screenshot (.ci/run installs it; elsewhere, without it, the look is skipped), read back into
//! pixels by a small PNG reader (8-bit RGB or RGBA, not interlaced: what Chromium writes).

use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// A screenshot: its pixels, row after row.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    rgb: Vec<[u8; 3]>,
}

impl Picture {
    /// The pixels of row `y`, left to right.
    pub fn row(&self, y: usize) -> &[[u8; 3]] {
        &self.rgb[y * self.width..(y + 1) * self.width]
    }

    /// How many pixels are exactly `colour`.
    pub fn count(&self, colour: [u8; 3]) -> usize {
        self.rgb.iter().filter(|&&p| p == colour).count()
    }

    /// How many pixels of the columns `columns` in the rows `rows` are not white.
    pub fn inked(&self, columns: Range<usize>, rows: Range<usize>) -> usize {
        rows.flat_map(|y| &self.row(y)[columns.clone()])
            .filter(|&&p| p != [255; 3])
            .count()
    }

    /// The longest horizontal run of `colour`: its row, first column and length.
    pub fn longest_run(&self, colour: [u8; 3]) -> (usize, usize, usize) {
        let mut best = (0, 0, 0);
        for y in 0..self.height {
            let mut start = 0;
            for (x, &p) in self.row(y).iter().enumerate() {
                if p != colour {
                    start = x + 1;
                } else if x + 1 - start > best.2 {
                    best = (y, start, x + 1 - start);
                }
            }
        }
        best
    }
}

/// The HTML file `page` as headless Chromium draws it in a window `width` × `height` CSS
/// pixels (one device pixel each), within a deadline: a browser that hangs fails the test,
/// never the whole run. `None`, with a note, where Chromium is not installed (outside CI).
pub fn screenshot(page: &Path, width: u32, height: u32) -> Option<Picture> {
    if !super::have_tool("chromium", "chromium") {
        return None;
    }
    let shot = page.with_extension(format!("{width}x{height}.png"));
    let browser = super::output_within(
        Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu"])
            .args(["--hide-scrollbars", "--disable-dev-shm-usage"])
            .args(["--force-device-scale-factor=1"])
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--screenshot={}", shot.display()))
            .arg(format!("file://{}", page.display())),
        None,
        Duration::from_secs(90),
    );
    assert!(
        browser.status.success(),
        "{}",
        String::from_utf8_lossy(&browser.stderr)
    );
    let picture = png(&std::fs::read(&shot).unwrap());
    assert_eq!(
        (picture.width, picture.height),
        (width as usize, height as usize)
    );
    Some(picture)
}

/// The pixels of a PNG file of 8-bit RGB or RGBA (alpha dropped), not interlaced.
fn png(bytes: &[u8]) -> Picture {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be32 = |b: &[u8]| u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    let (mut header, mut data, mut at) = (None, Vec::new(), 8);
    while at + 8 <= bytes.len() {
        let (len, kind) = (be32(&bytes[at..]), &bytes[at + 4..at + 8]);
        let body = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => header = Some(body),
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let header = header.expect("an IHDR chunk");
    let (width, height) = (be32(header), be32(&header[4..]));
    let (depth, colour, interlace) = (header[8], header[9], header[12]);
    assert!(
        depth == 8 && matches!(colour, 2 | 6) && interlace == 0,
        "a PNG of depth {depth}, colour type {colour}, interlace {interlace}"
    );
    let channels = if colour == 6 { 4 } else { 3 };
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(&data[..])
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * channels;
    assert_eq!(raw.len(), height * (stride + 1), "scanlines");
    let mut rgb = Vec::with_capacity(width * height);
    let mut previous = vec![0u8; stride];
    for line in raw.chunks(stride + 1) {
        let row = unfilter(line[0], &line[1..], &previous, channels);
        rgb.extend(row.chunks(channels).map(|p| [p[0], p[1], p[2]]));
        previous = row;
    }
    Picture { width, height, rgb }
}

/// A scanline with its PNG filter (`filter`, 0 to 4) undone, given the row above.
fn unfilter(filter: u8, line: &[u8], above: &[u8], channels: usize) -> Vec<u8> {
    let mut row = vec![0u8; line.len()];
    for i in 0..line.len() {
        let a = if i >= channels { row[i - channels] } else { 0 };
        let (b, c) = (
            above[i],
            if i >= channels {
                above[i - channels]
            } else {
                0
            },
        );
        let predicted = match filter {
            0 => 0,
            1 => a,
            2 => b,
            3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
            4 => {
                let p = i16::from(a) + i16::from(b) - i16::from(c);
                let (pa, pb, pc) = (
                    (p - i16::from(a)).abs(),
                    (p - i16::from(b)).abs(),
                    (p - i16::from(c)).abs(),
                );
                if pa <= pb && pa <= pc {
                    a
                } else if pb <= pc {
                    b
                } else {
                    c
                }
            }
            f => panic!("PNG filter {f}"),
        };
        row[i] = line[i].wrapping_add(predicted);
    }
    row
}
