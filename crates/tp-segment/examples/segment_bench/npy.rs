//! Minimal reader of numpy `.npy` files holding a 2-d little-endian float64
//! array (the format `xtask/peers/segment_peer.py make` writes).

use std::fs;
use std::io::Read;

/// A row-major (C order) or column-major (Fortran order) n × m array.
pub struct Npy {
    /// The values in file order.
    pub data: Vec<f64>,
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
    /// Whether `data` is column-major.
    pub fortran: bool,
}

impl Npy {
    /// The array as a faer view (row-major views are read as such: no copy).
    pub fn view(&self) -> faer::MatRef<'_, f64> {
        if self.fortran {
            faer::MatRef::from_column_major_slice(&self.data, self.rows, self.cols)
        } else {
            faer::MatRef::from_row_major_slice(&self.data, self.rows, self.cols)
        }
    }
}

fn field<'a>(header: &'a str, key: &str) -> Result<&'a str, String> {
    let at =
        header.find(&format!("'{key}'")).ok_or_else(|| format!("npy header has no '{key}': {header}"))?;
    let rest = header[at + key.len() + 2..].trim_start();
    Ok(rest.strip_prefix(':').ok_or("npy header: expected ':'")?.trim_start())
}

/// Read a 2-d float64 `.npy` file (the body streams through a small buffer
/// straight into the result: one allocation of the array's size).
pub fn read(path: &str) -> Result<Npy, String> {
    let mut file = fs::File::open(path).map_err(|e| format!("could not read {path}: {e}"))?;
    let mut pre = [0u8; 12];
    file.read_exact(&mut pre[..10]).map_err(|e| format!("{path}: {e}"))?;
    if &pre[..6] != b"\x93NUMPY" {
        return Err(format!("{path} is not a .npy file"));
    }
    let len = if pre[6] == 1 {
        u16::from_le_bytes([pre[8], pre[9]]) as usize
    } else {
        file.read_exact(&mut pre[10..12]).map_err(|e| format!("{path}: {e}"))?;
        u32::from_le_bytes([pre[8], pre[9], pre[10], pre[11]]) as usize
    };
    let mut head = vec![0u8; len];
    file.read_exact(&mut head).map_err(|e| format!("{path}: {e}"))?;
    let header = std::str::from_utf8(&head).map_err(|e| e.to_string())?;
    if !field(header, "descr")?.starts_with("'<f8'") {
        return Err(format!("{path}: only little-endian float64 is supported ({header})"));
    }
    let fortran = field(header, "fortran_order")?.starts_with("True");
    let shape = field(header, "shape")?;
    let dims: Vec<usize> = shape[1..shape.find(')').ok_or("npy header: bad shape")?]
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let [rows, cols] = dims[..] else { return Err(format!("{path}: expected a 2-d array, got {shape}")) };
    let mut data = Vec::with_capacity(rows * cols);
    let mut chunk = vec![0u8; 1 << 20];
    while data.len() < rows * cols {
        let want = ((rows * cols - data.len()) * 8).min(chunk.len());
        file.read_exact(&mut chunk[..want]).map_err(|e| format!("{path}: truncated data ({e})"))?;
        data.extend(
            chunk[..want].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))),
        );
    }
    Ok(Npy { data, rows, cols, fortran })
}
