//! What generated traffic is made of: methods, paths, statuses, proxies, referrers and user
//! agents, and the weights they are drawn by. Every byte `gen` writes depends on them: a
//! change here is a change of output (`output_fingerprint_is_stable` pins it).

/// Expands weights into a 1024-slot lookup so a weighted choice costs one table read.
const fn table<T, const N: usize>(items: &[(T, u32); N]) -> [u8; 1024] {
    let mut total = 0u64;
    let mut j = 0;
    while j < N {
        total += items[j].1 as u64;
        j += 1;
    }
    let mut t = [0u8; 1024];
    let (mut j, mut acc) = (0, items[0].1 as u64);
    let mut k = 0;
    while k < 1024 {
        while acc * 1024 <= k as u64 * total && j + 1 < N {
            j += 1;
            acc += items[j].1 as u64;
        }
        t[k] = j as u8;
        k += 1;
    }
    t
}

/// Writes only go to API/action endpoints; pages and assets are read (or probed with HEAD).
pub(super) const API_METHODS: [(&str, u32); 7] = [
    ("GET", 560),
    ("POST", 300),
    ("PUT", 60),
    ("DELETE", 40),
    ("OPTIONS", 30),
    ("PATCH", 20),
    ("HEAD", 14),
];
pub(super) static API_METHOD_TABLE: [u8; 1024] = table(&API_METHODS);
pub(super) const PAGE_METHODS: [(&str, u32); 3] = [("GET", 970), ("HEAD", 44), ("OPTIONS", 10)];
pub(super) static PAGE_METHOD_TABLE: [u8; 1024] = table(&PAGE_METHODS);

pub(super) const VERSIONS: [(&str, u32); 3] =
    [("HTTP/1.1", 800), ("HTTP/2.0", 190), ("HTTP/1.0", 34)];
pub(super) static VERSION_TABLE: [u8; 1024] = table(&VERSIONS);

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum PathKind {
    Asset,
    Home,
    Product,
    Blog,
    Category,
    ApiItem,
    Search,
    Action,
    Probe,
    Scanner,
}

pub(super) const PATH_KINDS: [(PathKind, u32); 10] = [
    (PathKind::Asset, 300),
    (PathKind::Home, 60),
    (PathKind::Product, 130),
    (PathKind::Blog, 30),
    (PathKind::Category, 60),
    (PathKind::ApiItem, 190),
    (PathKind::Search, 70),
    (PathKind::Action, 70),
    (PathKind::Probe, 80),
    (PathKind::Scanner, 34),
];
pub(super) static PATH_KIND_TABLE: [u8; 1024] = table(&PATH_KINDS);

/// Static files with their fixed sizes, as a real site serves the same few assets repeatedly.
pub(super) const ASSETS: [(&str, u64); 12] = [
    ("/static/js/main.4f3a2c1b.js", 48_213),
    ("/static/js/vendor.91be07d2.js", 183_552),
    ("/static/css/site.9e8d7c6b.css", 21_874),
    ("/favicon.ico", 15_086),
    ("/static/img/logo.svg", 3_412),
    ("/robots.txt", 68),
    ("/static/fonts/inter.woff2", 98_304),
    ("/static/img/hero.webp", 142_117),
    ("/apple-touch-icon.png", 6_114),
    ("/sitemap.xml", 20_411),
    ("/static/img/sprite.png", 27_935),
    ("/manifest.json", 512),
];

pub(super) const WORDS: [&str; 32] = [
    "shoes", "laptop", "coffee", "red", "blue", "wireless", "mug", "desk", "lamp", "chair", "wool",
    "socks", "phone", "case", "camera", "bag", "green", "tea", "kettle", "jacket", "usb", "cable",
    "hat", "mini", "pro", "glass", "steel", "bottle", "sofa", "rug", "book", "pen",
];

pub(super) const API_ITEMS: [&str; 4] = [
    "/api/v1/items/",
    "/api/v1/users/",
    "/api/v1/orders/",
    "/api/v2/products/",
];
pub(super) const ACTIONS: [&str; 6] = [
    "/api/v1/cart",
    "/login",
    "/api/v1/events",
    "/checkout",
    "/api/v1/auth/refresh",
    "/cart",
];
pub(super) const PROBES: [&str; 5] = ["/health", "/healthz", "/metrics", "/status", "/ready"];
pub(super) const SCANS: [&str; 8] = [
    "/wp-login.php",
    "/.env",
    "/xmlrpc.php",
    "/admin/config.php",
    "/.git/config",
    "/phpmyadmin/index.php",
    "/cgi-bin/luci",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php",
];
pub(super) const CAMPAIGNS: [&str; 4] = [
    "?ref=home",
    "?utm_source=google&utm_medium=cpc",
    "?utm_source=newsletter",
    "?color=black&size=m",
];

pub(super) const STATUSES: [(u16, u32); 14] = [
    (200, 8040),
    (304, 600),
    (404, 450),
    (301, 200),
    (302, 200),
    (201, 60),
    (204, 60),
    (206, 40),
    (400, 90),
    (401, 80),
    (403, 60),
    (500, 40),
    (502, 20),
    (503, 20),
];
pub(super) static STATUS_TABLE: [u8; 1024] = table(&STATUSES);
pub(super) const SCANNER_STATUSES: [(u16, u32); 3] = [(404, 850), (403, 100), (301, 50)];
pub(super) static SCANNER_STATUS_TABLE: [u8; 1024] = table(&SCANNER_STATUSES);

pub(super) const PROXIES: [&str; 16] = [
    "10.0.0.12",
    "10.0.1.7",
    "10.0.3.41",
    "10.1.0.5",
    "10.1.2.200",
    "10.2.14.3",
    "10.8.0.21",
    "10.10.10.10",
    "10.20.0.2",
    "10.42.7.1",
    "100.64.0.9",
    "100.64.1.33",
    "100.64.12.7",
    "100.66.5.120",
    "100.72.3.4",
    "100.100.0.1",
];

pub(super) const REFERERS: [(&str, u32); 12] = [
    ("-", 700),
    ("https://shop.example.com/", 70),
    ("https://shop.example.com/cart", 25),
    ("https://shop.example.com/category/shoes?page=2", 40),
    ("https://shop.example.com/products/blue-mug", 35),
    ("https://www.google.com/", 70),
    ("https://www.bing.com/", 20),
    ("https://duckduckgo.com/", 20),
    ("https://t.co/Xa9bQ2LmPz", 10),
    ("https://l.facebook.com/", 15),
    ("android-app://com.google.android.gm/", 10),
    ("https://news.ycombinator.com/", 5),
];
pub(super) static REFERER_TABLE: [u8; 1024] = table(&REFERERS);

pub(super) const USER_AGENTS: [(&str, u32); 20] = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 40),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36", 30),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1", 25),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36", 30),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0", 15),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51", 15),
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 30),
    ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", 12),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 8),
    ("curl/8.5.0", 120),
    ("python-requests/2.31.0", 90),
    ("Go-http-client/1.1", 80),
    ("kube-probe/1.29", 70),
    ("Prometheus/2.51.1", 40),
    ("okhttp/4.12.0", 155),
    ("ShopApp/5.2.1 (iPhone; iOS 17.4.1; Scale/3.00)", 90),
    ("ShopApp/5.2.0 (Android 14; Pixel 7)", 90),
    ("Wget/1.21.4", 20),
    ("Apache-HttpClient/4.5.14 (Java/17.0.10)", 25),
    ("-", 44),
];
pub(super) static USER_AGENT_TABLE: [u8; 1024] = table(&USER_AGENTS);

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn weight_tables_cover_every_item() {
        assert_eq!(table(&API_METHODS)[1023] as usize, API_METHODS.len() - 1);
        assert_eq!(table(&USER_AGENTS)[0], 0);
        for t in [
            &API_METHOD_TABLE,
            &PAGE_METHOD_TABLE,
            &STATUS_TABLE,
            &USER_AGENT_TABLE,
            &REFERER_TABLE,
        ] {
            assert!(t.windows(2).all(|w| w[0] <= w[1]));
        }
        let distinct: HashSet<u8> = STATUS_TABLE.iter().copied().collect();
        assert_eq!(distinct.len(), STATUSES.len());
    }
}
