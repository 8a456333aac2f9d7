//! A small Chrome DevTools Protocol client for the browser tests: starts
//! Debian's `chromium` headless on a free port, attaches to one page over a
//! websocket (flattened sessions), and offers what the tests need:
//! navigate and wait for the load, evaluate JavaScript, press keys, take
//! screenshots, and collect every console error, uncaught exception and
//! error log entry. The browser is killed when the value is dropped.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tungstenite::{Message, WebSocket};

/// How long one protocol answer may take.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    session: String,
    next_id: u64,
    loaded: bool,
    /// Console errors, uncaught exceptions and error log entries so far.
    pub errors: Vec<String>,
    _profile: tempfile::TempDir,
}

/// The chromium binary, if there is one.
pub fn chromium() -> Option<PathBuf> {
    // DYNSIM_CHROMIUM names another binary; one that does not exist
    // stands for no browser at all.
    if let Some(path) = std::env::var_os("DYNSIM_CHROMIUM") {
        return Some(PathBuf::from(path)).filter(|p| p.exists());
    }
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// A browser, or `None` with a loud message when chromium is missing and
/// the environment does not require one (`DYNSIM_REQUIRE_BROWSER=1`
/// makes a missing browser a failure).
pub fn browser_or_skip(test: &str) -> Option<Browser> {
    let required = std::env::var("DYNSIM_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let Some(binary) = chromium() else {
        assert!(
            !required,
            "DYNSIM_REQUIRE_BROWSER=1 but no chromium found (apt-get install chromium)"
        );
        // Straight to the stream: the test harness hides eprintln! of a
        // passing test, and a skip must be seen.
        let _ = writeln!(
            std::io::stderr(),
            "\n!!!!!!!! SKIPPED {test}: no chromium (apt-get install chromium, or set DYNSIM_CHROMIUM) !!!!!!!!\n"
        );
        return None;
    };
    Some(Browser::launch(&binary).unwrap_or_else(|e| panic!("cannot drive chromium: {e}")))
}

impl Browser {
    pub fn launch(binary: &Path) -> Result<Browser, String> {
        let profile = tempfile::tempdir().map_err(|e| e.to_string())?;
        let mut child = Command::new(binary)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--window-size=1400,1000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
        let stderr = child.stderr.take().ok_or("no stderr")?;
        // Chromium names its websocket on stderr; the thread keeps draining
        // the pipe afterwards so the browser never blocks on it.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("ws://") {
                    let _ = tx.send(line[at..].trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("chromium did not print its DevTools address".into());
            }
        };
        let host = url
            .trim_start_matches("ws://")
            .split('/')
            .next()
            .unwrap_or_default()
            .to_string();
        let stream = TcpStream::connect(&host).map_err(|e| format!("connect {host}: {e}"))?;
        stream
            .set_read_timeout(Some(ANSWER_WITHIN))
            .map_err(|e| e.to_string())?;
        let (ws, _) = tungstenite::client(url.as_str(), stream).map_err(|e| e.to_string())?;
        // From here a read gives up now and then, so a deadline can be kept.
        ws.get_ref()
            .set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        let mut browser = Browser {
            child,
            ws,
            session: String::new(),
            next_id: 1,
            loaded: false,
            errors: Vec::new(),
            _profile: profile,
        };
        let target = browser.call_browser("Target.createTarget", json!({"url": "about:blank"}))?;
        let target_id = target["targetId"]
            .as_str()
            .ok_or("no targetId")?
            .to_string();
        let attached = browser.call_browser(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
        )?;
        browser.session = attached["sessionId"]
            .as_str()
            .ok_or("no sessionId")?
            .to_string();
        for domain in ["Page.enable", "Runtime.enable", "Log.enable"] {
            browser.call(domain, json!({}))?;
        }
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": 1400, "height": 1000, "deviceScaleFactor": 1, "mobile": false}),
        )?;
        Ok(browser)
    }

    fn call_browser(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.send(method, params, false)
    }

    /// One command to the page; its result.
    pub fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        self.send(method, params, true)
    }

    fn send(&mut self, method: &str, params: Value, to_page: bool) -> Result<Value, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({"id": id, "method": method, "params": params});
        if to_page {
            message["sessionId"] = json!(self.session);
        }
        self.ws
            .send(Message::text(message.to_string()))
            .map_err(|e| format!("{method}: {e}"))?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        loop {
            if Instant::now() > deadline {
                return Err(format!("{method}: no answer within {ANSWER_WITHIN:?}"));
            }
            let Some(reply) = self.receive()? else {
                continue;
            };
            if reply["id"].as_u64() == Some(id) {
                if let Some(error) = reply.get("error") {
                    return Err(format!("{method}: {error}"));
                }
                return Ok(reply["result"].clone());
            }
        }
    }

    /// One message, events handled on the way; `None` on a read timeout.
    fn receive(&mut self) -> Result<Option<Value>, String> {
        let message = match self.ws.read() {
            Ok(m) => m,
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e.to_string()),
        };
        let Message::Text(text) = message else {
            return Ok(None);
        };
        let value: Value = serde_json::from_str(text.as_str()).map_err(|e| e.to_string())?;
        self.on_event(&value);
        Ok(Some(value))
    }

    fn on_event(&mut self, v: &Value) {
        let params = &v["params"];
        match v["method"].as_str() {
            Some("Page.loadEventFired") => self.loaded = true,
            Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                let args: Vec<String> = params["args"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| a["value"].to_string())
                    .collect();
                self.errors
                    .push(format!("console.error: {}", args.join(" ")));
            }
            Some("Runtime.exceptionThrown") => {
                let d = &params["exceptionDetails"];
                self.errors.push(format!(
                    "exception: {} {}",
                    d["text"], d["exception"]["description"]
                ));
            }
            Some("Log.entryAdded") if params["entry"]["level"] == "error" => {
                self.errors
                    .push(format!("log: {}", params["entry"]["text"]));
            }
            _ => {}
        }
    }

    /// Opens `url` and waits for its load event.
    pub fn navigate(&mut self, url: &str) -> Result<(), String> {
        self.loaded = false;
        self.call("Page.navigate", json!({"url": url}))?;
        let deadline = Instant::now() + ANSWER_WITHIN;
        while !self.loaded {
            if Instant::now() > deadline {
                return Err(format!("{url} did not load within {ANSWER_WITHIN:?}"));
            }
            self.receive()?;
        }
        Ok(())
    }

    /// The value of a JavaScript expression (promises awaited).
    pub fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "returnByValue": true, "awaitPromise": true}),
        )?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("{expression}: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Presses and releases a key: `ArrowRight`, `ArrowLeft`, ` `.
    pub fn press(&mut self, key: &str) -> Result<(), String> {
        let (code, vk) = match key {
            "ArrowRight" => ("ArrowRight", 39),
            "ArrowLeft" => ("ArrowLeft", 37),
            " " => ("Space", 32),
            other => (other, 0),
        };
        for kind in ["keyDown", "keyUp"] {
            self.call(
                "Input.dispatchKeyEvent",
                json!({"type": kind, "key": key, "code": code,
                       "windowsVirtualKeyCode": vk, "nativeVirtualKeyCode": vk}),
            )?;
        }
        Ok(())
    }

    /// A PNG of the viewport, or of the whole page, written to `path`.
    pub fn screenshot(&mut self, path: &Path, full_page: bool) -> Result<(), String> {
        let mut params = json!({"format": "png"});
        if full_page {
            let height = self
                .eval("document.documentElement.scrollHeight")?
                .as_f64()
                .unwrap_or(1000.0);
            params["captureBeyondViewport"] = json!(true);
            params["clip"] = json!({"x": 0, "y": 0, "width": 1400, "height": height, "scale": 1});
        }
        let shot = self.call("Page.captureScreenshot", params)?;
        let data = shot["data"].as_str().ok_or("no screenshot data")?;
        let bytes = base64_decode(data)?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        std::fs::write(path, bytes).map_err(|e| e.to_string())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: {c}")),
        } as u32)
    };
    let clean: Vec<u8> = text.bytes().filter(|&c| c != b'=' && c != b'\n').collect();
    let mut out = Vec::with_capacity(clean.len() * 3 / 4);
    for chunk in clean.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        for i in 0..chunk.len().saturating_sub(1) {
            out.push((n >> (16 - 8 * i)) as u8);
        }
    }
    Ok(out)
}

/// Where screenshots go, for a reviewer: `target/screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}
