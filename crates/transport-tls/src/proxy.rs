//! Which proxy a request goes through: one rule for both transports, from the environment
//! or from the caller ([`Proxies`]).

use std::fmt;
use std::net::IpAddr;

use files_core::{TransportError, TransportErrorKind};

/// A proxy's URL, with any password kept out of every rendering of it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    url: String,
    shown: String,
    password: Option<String>,
    host: String,
    port: u16,
    https: bool,
}

impl ProxyUrl {
    /// Parses `text` (`http://[user[:password]@]host[:port][/]`, or `https://…`); `what` names
    /// where it came from (a variable, a flag) for the error. A URL with no scheme is taken as
    /// `http://`, as curl takes it.
    ///
    /// # Errors
    ///
    /// A scheme other than `http` or `https`, no host, a bad port, or a path or query: the
    /// error names `what` and shows the URL without its password.
    pub fn parse(text: &str, what: &str) -> Result<ProxyUrl, TransportError> {
        let text = text.trim();
        let (scheme, rest) = match text.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => ("http".to_owned(), text),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, hostport) = match rest.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, rest),
        };
        // The secret: the password, or a user name given alone (often a token).
        let password = userinfo.map(|u| match u.split_once(':') {
            Some((_, password)) => password.to_owned(),
            None => u.to_owned(),
        });
        let shown_userinfo = userinfo.map(|u| match u.split_once(':') {
            Some((user, _)) => format!("{user}:***@"),
            None => "***@".to_owned(),
        });
        let shown = format!(
            "{scheme}://{}{hostport}",
            shown_userinfo.as_deref().unwrap_or("")
        );
        let refuse = |why: &str| {
            TransportError::new(
                TransportErrorKind::Other,
                format!("{what}: {shown} is not a proxy URL: {why} (give http://HOST:PORT)"),
            )
        };
        let https = match scheme.as_str() {
            "http" => false,
            "https" => true,
            other => {
                return Err(refuse(&format!(
                    "the scheme {other}:// is not supported (http:// and https:// are)"
                )));
            }
        };
        if hostport.contains(['/', '?', '#']) {
            return Err(refuse("a proxy URL has no path or query"));
        }
        let (host, port) =
            split_host_port(hostport).ok_or_else(|| refuse("the port is not a number"))?;
        if host.is_empty() {
            return Err(refuse("it names no host"));
        }
        let url = format!(
            "{scheme}://{}{hostport}",
            userinfo.map(|u| format!("{u}@")).unwrap_or_default()
        );
        Ok(ProxyUrl {
            url,
            shown,
            password: password.filter(|p| !p.is_empty()),
            host: host.to_owned(),
            port: port.unwrap_or(if https { 443 } else { 80 }),
            https,
        })
    }

    /// The URL to hand the HTTP client, credentials included.
    pub fn as_url(&self) -> &str {
        &self.url
    }

    /// The proxy's host.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The proxy's port (80 or 443 when the URL gives none).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the connection to the proxy itself is TLS (`https://`).
    pub fn is_https(&self) -> bool {
        self.https
    }

    /// `text` with the password, if any, replaced by `***`: for an HTTP client's error that
    /// may quote the proxy URL.
    pub fn scrub(&self, text: &str) -> String {
        match &self.password {
            Some(password) => text.replace(password.as_str(), "***"),
            None => text.to_owned(),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl fmt::Display for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

/// `host[:port]` (a bracketed IPv6 address keeps its brackets off the host).
fn split_host_port(text: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        return match after.strip_prefix(':') {
            Some(port) => Some((host, Some(port.parse().ok()?))),
            None if after.is_empty() => Some((host, None)),
            None => None,
        };
    }
    match text.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => Some((host, Some(port.parse().ok()?))),
        _ => Some((text, None)),
    }
}

/// One `no_proxy` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Bypass {
    Everything,
    /// A name and its subdomains, lower case, without a leading dot.
    Domain(String, Option<u16>),
    Ip(IpAddr, Option<u16>),
    Block(IpAddr, u8),
}

impl Bypass {
    /// One entry (`Ok(None)` for an empty one), or why it is none: a block or a port that
    /// does not parse is a mistake with a cost (the traffic meant to go direct would go
    /// through the proxy), so it is refused rather than skipped.
    fn parse(entry: &str) -> Result<Option<Bypass>, &'static str> {
        let entry = entry.trim();
        if entry.is_empty() {
            return Ok(None);
        }
        if entry == "*" {
            return Ok(Some(Bypass::Everything));
        }
        if let Some((ip, bits)) = entry.split_once('/') {
            let not_a_block = "not an address block (e.g. 10.0.0.0/8 or fd00::/8)";
            let ip: IpAddr = ip
                .trim_matches(['[', ']'])
                .parse()
                .map_err(|_| not_a_block)?;
            let bits: u8 = bits.parse().map_err(|_| not_a_block)?;
            let max = if ip.is_ipv4() { 32 } else { 128 };
            return (bits <= max)
                .then_some(Some(Bypass::Block(ip, bits)))
                .ok_or(not_a_block);
        }
        if let Ok(ip) = entry.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(Some(Bypass::Ip(ip, None)));
        }
        let (host, port) =
            split_host_port(entry).ok_or("its port is not a number (e.g. example.com:8443)")?;
        if let Ok(ip) = host.parse::<IpAddr>() {
            return Ok(Some(Bypass::Ip(ip, port)));
        }
        let host = host.trim_start_matches("*.").trim_start_matches('.');
        Ok(Some(Bypass::Domain(host.to_ascii_lowercase(), port)))
    }

    fn matches(&self, host: &str, port: u16) -> bool {
        let port_ok = |want: &Option<u16>| want.is_none_or(|p| p == port);
        let ip = host.trim_matches(['[', ']']).parse::<IpAddr>().ok();
        match self {
            Bypass::Everything => true,
            Bypass::Domain(domain, want) => {
                let host = host.to_ascii_lowercase();
                let host = host.trim_end_matches('.');
                port_ok(want)
                    && (host == domain
                        || host
                            .strip_suffix(domain.as_str())
                            .is_some_and(|head| head.ends_with('.')))
            }
            Bypass::Ip(want_ip, want) => ip == Some(*want_ip) && port_ok(want),
            Bypass::Block(net, bits) => ip.is_some_and(|ip| in_block(ip, *net, *bits)),
        }
    }
}

/// Whether `ip` is in the block `net/bits`.
fn in_block(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(ip), IpAddr::V4(net)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(net) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(net)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(net) & mask
        }
        _ => false,
    }
}

/// Which proxy each request goes through, by one rule for both transports:
///
/// | variable (lower case wins over upper) | used for |
/// |---|---|
/// | `http_proxy` / `HTTP_PROXY` | `http://` targets |
/// | `https_proxy` / `HTTPS_PROXY` | `https://` targets |
/// | `all_proxy` / `ALL_PROXY` | either, when its own is unset |
/// | `no_proxy` / `NO_PROXY` | hosts reached directly: a comma-separated list of names (each also matching its subdomains; a leading `.` or `*.` is optional), IP addresses, CIDR blocks (`10.0.0.0/8`), each optionally with `:port`; `*` for every host |
///
/// An empty variable counts as unset. A proxy is an `http://` or `https://` URL, optionally with
/// `user:password@` (sent as `Proxy-Authorization: Basic`); the password never appears in
/// `Debug`, `Display` or an error. A malformed one is refused naming its variable, never
/// skipped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    http: Option<ProxyUrl>,
    https: Option<ProxyUrl>,
    bypass: Vec<Bypass>,
}

impl Proxies {
    /// No proxy at all (`--no-proxy`): every request goes direct, whatever the environment.
    pub fn none() -> Proxies {
        Proxies::default()
    }

    /// The proxies the environment names.
    ///
    /// # Errors
    ///
    /// A variable that holds no proxy URL, named.
    pub fn from_env() -> Result<Proxies, TransportError> {
        Proxies::from_vars(|name| std::env::var(name).ok())
    }

    /// The proxies `var` names (the environment, or a test's table).
    ///
    /// # Errors
    ///
    /// As for [`Proxies::from_env`].
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Proxies, TransportError> {
        let read = |lower: &str| -> Result<Option<ProxyUrl>, TransportError> {
            let upper = lower.to_ascii_uppercase();
            for name in [lower, upper.as_str()] {
                match var(name) {
                    Some(value) if !value.trim().is_empty() => {
                        return ProxyUrl::parse(&value, name).map(Some).map_err(|mut e| {
                            e.message = format!(
                                "{}; fix or unset {name}, or give --proxy URL or --no-proxy",
                                e.message
                            );
                            e
                        });
                    }
                    _ => {}
                }
            }
            Ok(None)
        };
        let mut http = read("http_proxy")?;
        let mut https = read("https_proxy")?;
        // ALL_PROXY is read only where it is used: a SOCKS one beside HTTP ones (as proxy
        // tools export them) does not stop a client that never needs it.
        if http.is_none() || https.is_none() {
            let all = read("all_proxy")?;
            http = http.or_else(|| all.clone());
            https = https.or(all);
        }
        Ok(Proxies {
            http,
            https,
            bypass: bypass_from(&var)?,
        })
    }

    /// Every request through `proxy` (`--proxy URL`), except the hosts `NO_PROXY` names in
    /// the environment.
    ///
    /// # Errors
    ///
    /// A `NO_PROXY` entry that is neither a name, an address nor a block.
    pub fn all(proxy: ProxyUrl) -> Result<Proxies, TransportError> {
        Proxies::all_from_vars(proxy, |name| std::env::var(name).ok())
    }

    /// As [`Proxies::all`], with `NO_PROXY` read from `var` (a test's table).
    ///
    /// # Errors
    ///
    /// As for [`Proxies::all`].
    pub fn all_from_vars(
        proxy: ProxyUrl,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Proxies, TransportError> {
        Ok(Proxies {
            http: Some(proxy.clone()),
            https: Some(proxy),
            bypass: bypass_from(&var)?,
        })
    }

    /// The proxy for a request to `scheme://host:port`, or `None` to go direct.
    pub fn for_target(&self, scheme: &str, host: &str, port: Option<u16>) -> Option<&ProxyUrl> {
        let https = scheme.eq_ignore_ascii_case("https");
        let proxy = if https { &self.https } else { &self.http };
        let port = port.unwrap_or(if https { 443 } else { 80 });
        match proxy {
            Some(proxy) if !self.bypass.iter().any(|b| b.matches(host, port)) => Some(proxy),
            _ => None,
        }
    }

    /// The proxy for a request to `uri`, or `None` to go direct.
    pub fn for_uri(&self, uri: &http::Uri) -> Option<&ProxyUrl> {
        self.for_target(
            uri.scheme_str().unwrap_or("http"),
            uri.host().unwrap_or(""),
            uri.port_u16(),
        )
    }

    /// The distinct proxies in use (for one connection pool each).
    pub fn distinct(&self) -> Vec<&ProxyUrl> {
        let mut list: Vec<&ProxyUrl> = self.http.iter().chain(&self.https).collect();
        list.dedup();
        list
    }

    /// `text` with every proxy password in it replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        self.distinct()
            .iter()
            .fold(text.to_owned(), |text, proxy| proxy.scrub(&text))
    }

    /// `error` made safe to show: its message scrubbed of proxy passwords and, when a proxy
    /// has one, its source dropped (an HTTP client's error may quote the proxy URL); a failure
    /// to connect through `via` says so, and `via`'s refusal of the credentials (a 407, in
    /// either client's words) becomes a [`TransportErrorKind::Proxy`] saying what to fix.
    pub fn scrub_error(&self, mut error: TransportError, via: Option<&ProxyUrl>) -> TransportError {
        if let Some(proxy) = via {
            if is_credentials_refusal(&error.message) {
                let given = if proxy.password.is_some() {
                    "refused the user and password in its URL"
                } else {
                    "asks for a user and password, and its URL gives none"
                };
                error.kind = TransportErrorKind::Proxy;
                error.message = format!(
                    "the proxy {proxy} {given} (407 Proxy Authentication Required): give the \
                     right ones as http://USER:PASSWORD@HOST:PORT ({})",
                    error.message
                );
            } else if error.kind == TransportErrorKind::Connect {
                error.message = format!("{} (through the proxy {proxy})", error.message);
            }
        }
        if self.distinct().iter().any(|p| p.password.is_some()) {
            error.message = self.scrub(&error.message);
            error.source = None;
        }
        error
    }
}

/// What a transport's builder was told about proxies, resolved when it builds (so a bad
/// variable is reported by `build`, not by a setter that cannot fail).
#[derive(Debug, Clone, Default)]
pub enum ProxySetting {
    /// The proxies the environment names ([`Proxies::from_env`]).
    #[default]
    FromEnv,
    /// No proxy, whatever the environment says.
    Direct,
    /// Every request through this proxy but the hosts `NO_PROXY` names ([`Proxies::all`]).
    Through(ProxyUrl),
    /// These rules.
    Rules(Proxies),
}

impl ProxySetting {
    /// The rules the setting comes to.
    ///
    /// # Errors
    ///
    /// A proxy variable that holds no proxy URL, or a `NO_PROXY` entry that is no host.
    pub fn resolve(self) -> Result<Proxies, TransportError> {
        match self {
            ProxySetting::FromEnv => Proxies::from_env(),
            ProxySetting::Direct => Ok(Proxies::none()),
            ProxySetting::Through(proxy) => Proxies::all(proxy),
            ProxySetting::Rules(proxies) => Ok(proxies),
        }
    }
}

/// The `no_proxy` (or `NO_PROXY`) entries `var` names.
fn bypass_from(var: &impl Fn(&str) -> Option<String>) -> Result<Vec<Bypass>, TransportError> {
    let Some((name, list)) = ["no_proxy", "NO_PROXY"].iter().find_map(|name| {
        var(name)
            .filter(|v| !v.trim().is_empty())
            .map(|v| (name, v))
    }) else {
        return Ok(Vec::new());
    };
    let mut bypass = Vec::new();
    for entry in list.split(',') {
        match Bypass::parse(entry) {
            Ok(Some(found)) => bypass.push(found),
            Ok(None) => {}
            Err(why) => {
                return Err(TransportError::new(
                    TransportErrorKind::Other,
                    format!(
                        "{name}: the entry `{}` is {why}: fix or remove it",
                        entry.trim().escape_debug()
                    ),
                ));
            }
        }
    }
    Ok(bypass)
}

/// Whether an HTTP client's error says the proxy answered 407: hyper's tunnel error, or
/// ureq's `CONNECT` failure.
fn is_credentials_refusal(message: &str) -> bool {
    message.contains("proxy authorization required") || message.contains("responded 407")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    fn via(proxies: &Proxies, url: &str) -> Option<String> {
        let (scheme, rest) = url.split_once("://").unwrap();
        let (host, port) = split_host_port(rest.split('/').next().unwrap()).unwrap();
        proxies
            .for_target(scheme, host, port)
            .map(|p| p.to_string())
    }

    #[test]
    fn each_scheme_has_its_variable_and_all_proxy_fills_in() {
        let p = Proxies::from_vars(env(&[
            ("HTTPS_PROXY", "http://secure:3128"),
            ("ALL_PROXY", "http://all:3128"),
        ]))
        .unwrap();
        assert_eq!(
            via(&p, "https://api.openai.com/v1").as_deref(),
            Some("http://secure:3128")
        );
        assert_eq!(
            via(&p, "http://127.0.0.1:8321/v1").as_deref(),
            Some("http://all:3128")
        );
        let p = Proxies::from_vars(env(&[("http_proxy", "http://plain:80")])).unwrap();
        assert_eq!(
            via(&p, "https://api.openai.com"),
            None,
            "http_proxy is for http only"
        );
        assert_eq!(via(&p, "http://x").as_deref(), Some("http://plain:80"));
    }

    #[test]
    fn lower_case_wins_and_empty_is_unset() {
        let p = Proxies::from_vars(env(&[
            ("https_proxy", "http://lower:1"),
            ("HTTPS_PROXY", "http://upper:2"),
            ("http_proxy", " "),
            ("HTTP_PROXY", "http://upper-http:3"),
        ]))
        .unwrap();
        assert_eq!(via(&p, "https://h").as_deref(), Some("http://lower:1"));
        assert_eq!(via(&p, "http://h").as_deref(), Some("http://upper-http:3"));
        assert_eq!(Proxies::from_vars(env(&[])).unwrap(), Proxies::none());
    }

    #[test]
    fn no_proxy_names_domains_addresses_blocks_and_ports() {
        let p = Proxies::from_vars(env(&[
            ("ALL_PROXY", "http://proxy:3128"),
            (
                "NO_PROXY",
                "localhost, .internal.example,*.corp, 10.0.0.0/8, ::1, 192.168.1.5:8443, [fd00::]/8",
            ),
        ]))
        .unwrap();
        for direct in [
            "http://localhost:8321",
            "https://LOCALHOST",
            "https://a.internal.example",
            "https://internal.example",
            "https://x.y.corp",
            "http://10.1.2.3:80",
            "http://[::1]:8321",
            "https://192.168.1.5:8443",
            "https://[fd12::1]",
        ] {
            assert_eq!(via(&p, direct), None, "{direct}");
        }
        for proxied in [
            "https://api.openai.com",
            "https://notlocalhost",
            "https://internal.example.com",
            "http://11.0.0.1",
            "https://192.168.1.5",
            "https://corporate",
            "https://[fe80::1]",
            "https://[::2]",
        ] {
            assert!(via(&p, proxied).is_some(), "{proxied}");
        }
        let all =
            Proxies::from_vars(env(&[("ALL_PROXY", "http://p:1"), ("no_proxy", "*")])).unwrap();
        assert_eq!(via(&all, "https://api.openai.com"), None);
    }

    #[test]
    fn passwords_never_show() {
        let p = ProxyUrl::parse("http://alice:s3cr%40t@proxy.corp:3128/", "HTTPS_PROXY").unwrap();
        assert_eq!(p.to_string(), "http://alice:***@proxy.corp:3128");
        assert_eq!(format!("{p:?}"), "http://alice:***@proxy.corp:3128");
        assert_eq!(p.as_url(), "http://alice:s3cr%40t@proxy.corp:3128");
        assert_eq!(
            (p.host(), p.port(), p.is_https()),
            ("proxy.corp", 3128, false)
        );
        assert_eq!(
            p.scrub("could not reach http://alice:s3cr%40t@proxy.corp:3128"),
            "could not reach http://alice:***@proxy.corp:3128"
        );
        let err = ProxyUrl::parse("socks5://bob:hunter2@proxy:1080", "ALL_PROXY").unwrap_err();
        assert_eq!(
            err.message,
            "ALL_PROXY: socks5://bob:***@proxy:1080 is not a proxy URL: the scheme socks5:// is \
             not supported (http:// and https:// are) (give http://HOST:PORT)"
        );
        let err = Proxies::from_vars(env(&[("https_proxy", "http://u:pw@h:port")])).unwrap_err();
        assert!(
            err.message.starts_with("https_proxy: http://u:***@h:port"),
            "{err}"
        );
        assert!(!err.to_string().contains("pw"), "{err}");
    }

    #[test]
    fn all_proxy_is_read_only_where_it_is_used() {
        let p = Proxies::from_vars(env(&[
            ("https_proxy", "http://127.0.0.1:7890"),
            ("http_proxy", "http://127.0.0.1:7890"),
            ("all_proxy", "socks5://127.0.0.1:7890"),
        ]))
        .unwrap();
        assert_eq!(
            via(&p, "https://h").as_deref(),
            Some("http://127.0.0.1:7890")
        );
        let err = Proxies::from_vars(env(&[
            ("https_proxy", "http://p:1"),
            ("all_proxy", "socks5://127.0.0.1:7890"),
        ]))
        .unwrap_err();
        assert!(
            err.message
                .starts_with("all_proxy: socks5://127.0.0.1:7890"),
            "{err}"
        );
        assert!(err.message.contains("--no-proxy"), "{err}");
    }

    #[test]
    fn a_no_proxy_entry_that_is_no_host_is_refused_naming_it() {
        for (entry, why) in [
            ("10.0.0/8", "not an address block"),
            ("10.0.0.0/33", "not an address block"),
            ("host:abc", "port is not a number"),
        ] {
            let list = format!("localhost, {entry}");
            let err =
                Proxies::from_vars(|name| (name == "NO_PROXY").then(|| list.clone())).unwrap_err();
            assert!(
                err.message
                    .starts_with(&format!("NO_PROXY: the entry `{entry}`")),
                "{err}"
            );
            assert!(err.message.contains(why), "{err}");
            let proxy = ProxyUrl::parse("http://p:1", "--proxy").unwrap();
            assert!(
                Proxies::all_from_vars(proxy, |name| (name == "NO_PROXY").then(|| list.clone()))
                    .is_err()
            );
        }
        assert!(Proxies::from_vars(env(&[("no_proxy", " , ,localhost")])).is_ok());
    }

    #[test]
    fn a_user_name_alone_is_a_secret_too() {
        let p = ProxyUrl::parse("http://tok3n-abc@proxy:3128", "HTTPS_PROXY").unwrap();
        assert_eq!(p.to_string(), "http://***@proxy:3128");
        assert_eq!(p.as_url(), "http://tok3n-abc@proxy:3128");
        assert_eq!(
            p.scrub("via http://tok3n-abc@proxy"),
            "via http://***@proxy"
        );
    }

    #[test]
    fn a_bare_host_is_http_and_ports_default() {
        let p = ProxyUrl::parse("proxy.corp:3128", "--proxy").unwrap();
        assert_eq!(p.as_url(), "http://proxy.corp:3128");
        assert_eq!(ProxyUrl::parse("https://p", "x").unwrap().port(), 443);
        assert_eq!(ProxyUrl::parse("http://p", "x").unwrap().port(), 80);
        assert_eq!(
            ProxyUrl::parse("http://[::1]:9", "x").unwrap().host(),
            "::1"
        );
        assert!(ProxyUrl::parse("http://", "x").is_err());
        assert!(ProxyUrl::parse("http://p/path", "x").is_err());
        assert!(ProxyUrl::parse("https://p:8443", "x").unwrap().is_https());
        assert!(
            ProxyUrl::parse("http://[::1]9", "x").is_err(),
            "junk after ]"
        );
        assert_eq!(split_host_port("fe80::1"), Some(("fe80::1", None)));
        assert_eq!(split_host_port("h:80"), Some(("h", Some(80))));
    }

    #[test]
    fn errors_name_the_proxy_and_a_refusal_of_credentials_says_what_to_fix() {
        let proxy = ProxyUrl::parse("http://alice:pw-xyz@p:3128", "--proxy").unwrap();
        let proxies = Proxies::all_from_vars(proxy.clone(), |_| None).unwrap();
        let refused = |text: &str| TransportError::new(TransportErrorKind::Connect, text);

        let error = proxies.scrub_error(refused("connecting to h:443: refused"), Some(&proxy));
        assert_eq!(error.kind, TransportErrorKind::Connect);
        assert_eq!(
            error.message,
            "connecting to h:443: refused (through the proxy http://alice:***@p:3128)"
        );
        let direct = proxies.scrub_error(refused("connecting to h:443: refused"), None);
        assert_eq!(direct.message, "connecting to h:443: refused");

        for words in [
            "tunnel error: proxy authorization required",
            "CONNECT proxy failed: proxy server responded 407/Proxy Authentication Required",
        ] {
            let error = proxies.scrub_error(refused(words), Some(&proxy));
            assert_eq!(error.kind, TransportErrorKind::Proxy, "{words}");
            assert!(!error.is_retryable());
            assert!(
                error.message.starts_with(
                    "the proxy http://alice:***@p:3128 refused the user and password in its URL"
                ),
                "{}",
                error.message
            );
        }
        let bare = ProxyUrl::parse("http://p:3128", "--proxy").unwrap();
        let error = Proxies::all_from_vars(bare.clone(), |_| None)
            .unwrap()
            .scrub_error(
                refused("tunnel error: proxy authorization required"),
                Some(&bare),
            );
        assert!(
            error.message.contains("its URL gives none"),
            "{}",
            error.message
        );

        let mut quoting = TransportError::with_source(
            TransportErrorKind::Other,
            "via http://alice:pw-xyz@p:3128",
            std::io::Error::other("pw-xyz"),
        );
        quoting = proxies.scrub_error(quoting, None);
        assert!(!quoting.message.contains("pw-xyz"), "{}", quoting.message);
        assert!(quoting.source.is_none(), "a source may quote the password");
        let plain = Proxies::all_from_vars(bare, |_| None).unwrap();
        let kept = plain.scrub_error(
            TransportError::with_source(TransportErrorKind::Io, "x", std::io::Error::other("y")),
            None,
        );
        assert!(kept.source.is_some(), "no password, nothing to hide");
    }

    #[test]
    fn a_request_s_uri_picks_its_proxy() {
        let p = Proxies::from_vars(env(&[
            ("HTTPS_PROXY", "http://secure:1"),
            ("NO_PROXY", "127.0.0.1:8321"),
        ]))
        .unwrap();
        let uri = |text: &str| text.parse::<http::Uri>().unwrap();
        assert_eq!(
            p.for_uri(&uri("https://api.openai.com/v1/files"))
                .map(ToString::to_string),
            Some("http://secure:1".to_owned())
        );
        assert!(p.for_uri(&uri("https://127.0.0.1:8321/v1")).is_none());
        assert!(p.for_uri(&uri("https://127.0.0.1:8322/v1")).is_some());
        assert!(p.for_uri(&uri("http://api.openai.com/v1")).is_none());
    }

    #[test]
    fn one_proxy_for_both_schemes_is_one_pool() {
        let p = Proxies::all_from_vars(ProxyUrl::parse("http://p:1", "--proxy").unwrap(), |_| None)
            .unwrap();
        assert_eq!(p.distinct().len(), 1);
        assert!(p.for_target("http", "x", None).is_some());
        assert!(p.for_target("https", "x", None).is_some());
    }
}
