//! The JSON-RPC framing of the Language Server Protocol over a byte stream (`Content-Length` headers, then
//! a JSON body). lsp-server's own stdio transport ends its reader thread on the first body that is not a
//! message; an editor extension with a bug, or a stray write to the server's stdin, would then kill the
//! server. Here a bad body is answered with the protocol's error and the server reads on.

use std::io::{self, BufRead, Write};

use lsp_server::Message;

/// A body larger than this is refused rather than buffered: no editor sends a 64 MiB document.
const MAX_BODY: usize = 64 << 20;

/// One frame read from the client.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// A frame that is not a message: JSON-RPC's `code` (parse error, invalid request) and why.
    Malformed {
        code: i32,
        message: String,
    },
}

/// Reads the next frame; `None` at the end of the stream.
pub fn read(r: &mut impl BufRead) -> io::Result<Option<Frame>> {
    let mut length: Option<usize> = None;
    let mut saw_header = false;
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if saw_header {
                break;
            }
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = line.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            // Without a length the body cannot be told from the next header: reading on would misframe
            // every later message, so the stream ends here with the reason.
            length = Some(value.trim().parse().map_err(|_| {
                io::Error::new(io::ErrorKind::InvalidData, format!("Content-Length `{}` is not a length", value.trim()))
            })?);
        }
    }
    let Some(length) = length else {
        return Ok(Some(Frame::Malformed { code: PARSE_ERROR, message: "a header without Content-Length".into() }));
    };
    if length > MAX_BODY {
        return Err(io::Error::new(io::ErrorKind::InvalidData, format!("a body of {length} bytes")));
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body)?;
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => return Ok(Some(Frame::Malformed { code: PARSE_ERROR, message: format!("not JSON: {e}") })),
    };
    Ok(Some(match serde_json::from_value::<Message>(value) {
        Ok(m) => Frame::Message(m),
        Err(e) => Frame::Malformed { code: INVALID_REQUEST, message: format!("not a JSON-RPC message: {e}") },
    }))
}

/// JSON-RPC's codes for a frame with no usable id.
pub const PARSE_ERROR: i32 = -32700;
pub const INVALID_REQUEST: i32 = -32600;

pub fn write(w: &mut impl Write, m: Message) -> io::Result<()> {
    m.write(w)?;
    w.flush()
}

/// The answer to a frame without an id: JSON-RPC answers those with `"id": null`, which lsp-server's
/// types cannot express.
pub fn write_malformed(w: &mut impl Write, code: i32, message: &str) -> io::Result<()> {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": message}});
    let text = body.to_string();
    write!(w, "Content-Length: {}\r\n\r\n{text}", text.len())?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_length_that_is_not_a_number_ends_the_stream_instead_of_misframing_the_rest() {
        for length in ["12abc", "-1", ""] {
            let mut r = io::Cursor::new(format!("Content-Length: {length}\r\n\r\n{{}}").into_bytes());
            let e = read(&mut r).err().unwrap_or_else(|| panic!("{length:?} must end the stream"));
            assert_eq!(e.kind(), io::ErrorKind::InvalidData, "{length:?}");
        }
    }

    #[test]
    fn a_bad_frame_is_reported_and_the_next_one_still_reads() {
        let good = r#"{"jsonrpc":"2.0","method":"exit"}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{oops\r\nContent-Length: 2\r\n\r\n{{}}Content-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let mut r = io::Cursor::new(input.into_bytes());
        assert!(matches!(read(&mut r).unwrap(), Some(Frame::Malformed { code: PARSE_ERROR, .. })));
        assert!(matches!(read(&mut r).unwrap(), Some(Frame::Malformed { code: INVALID_REQUEST, .. })));
        assert!(matches!(read(&mut r).unwrap(), Some(Frame::Message(Message::Notification(_)))));
        assert!(read(&mut r).unwrap().is_none());
    }
}
