#!/usr/bin/env python3
"""Writes the per-format samples of sample_logs/ (deterministic; the zstd file needs `zstd`).

    python3 scripts/sample-logs.py sample_logs

One small, realistic file per log format and prefix, compressed the ways servers and log
shippers leave them, and an nginx directory with what is not an access log beside the logs.
Two servers behind load balancers, left as they run: nginx-lb/ (nginx.conf, conf.d/, logs/ in
the `main` format with X-Forwarded-For and a custom `timed` layout) and apache-site/
(apache2.conf, envvars, sites-enabled/, logs/ in a custom `proxied` layout); the custom
layouts are read with --log-format TEMPLATE, and skipped as not access logs by `auto`.
"""
import bz2
import gzip
import lzma
import os
import random
import sys


def gzip_open(path, mode):
    return gzip.GzipFile(path, mode, mtime=0)


R = random.Random(13)
root = sys.argv[1]
def w(path, text, opener=open):
    p = os.path.join(root, path); os.makedirs(os.path.dirname(p), exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    if opener is open:
        open(p, 'wb').write(data)
    else:
        with opener(p, 'wb') as f: f.write(data)

v4 = [f"{R.choice([203,198,192,100,81,5,46,93])}.{R.randrange(256)}.{R.randrange(256)}.{R.randrange(1,255)}" for _ in range(120)]
v6 = ["2001:db8:85a3::8a2e:370:7334", "2001:db8::1", "2a02:c7f:1234:5600::2", "2606:4700:3030::6815:1"]
def client():
    return R.choice(v6) if R.random() < 0.08 else R.choice(v4[:R.choice([40,120])])
paths = ["/", "/index.html", "/api/v1/items?page=2", "/static/app.3f9a1c.js", "/static/site.css", "/login", "/favicon.ico", "/robots.txt", "/api/v1/cart", "/images/logo.png", "/wp-login.php", "/search?q=rust+logs"]
uas = ["Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15", "curl/8.5.0", "Googlebot/2.1 (+http://www.google.com/bot.html)", "python-requests/2.31.0", "Go-http-client/1.1"]
months = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
def ts(i, day=30):
    s = 8*3600 + i*7
    return f"{day:02d}/Nov/2026:{s//3600%24:02d}:{s//60%60:02d}:{s%60:02d} +0000"
def req():
    m = "POST" if R.random() < 0.1 else "GET"
    return f"{m} {R.choice(paths)} HTTP/1.1"
def status(): return R.choice([200]*12 + [304, 301, 404, 404, 500, 403])
def combined(i, day=30, c=None):
    c = c or client()
    return f'{c} - - [{ts(i, day)}] "{req()}" {status()} {R.randrange(100, 40000)} "{R.choice(["-", "https://example.com/", "https://www.google.com/"])}" "{R.choice(uas)}"'

# nginx/: an access log, a rotated gzip, an error log and a pid file.
w("nginx/access.log", "".join(combined(i) + "\n" for i in range(400)))
w("nginx/access.log.2.gz", "".join(combined(i, 28) + "\n" for i in range(300)), gzip_open)
err = []
for i in range(60):
    s = 8*3600 + i*41
    t = f"2026/11/30 {s//3600:02d}:{s//60%60:02d}:{s%60:02d}"
    err.append(R.choice([
        f'{t} [error] 2211#2211: *{100+i} open() "/usr/share/nginx/html{R.choice(paths).split("?")[0]}" failed (2: No such file or directory), client: {client()}, server: example.com, request: "GET /x HTTP/1.1", host: "example.com"',
        f'{t} [warn] 2211#2211: *{100+i} an upstream response is buffered to a temporary file /var/cache/nginx/proxy_temp/1/00/0000000001 while reading upstream, client: {client()}, server: example.com',
        f'{t} [notice] 2210#2210: signal process started',
    ]))
w("nginx/error.log", "\n".join(err) + "\n")
w("nginx/nginx.pid", "2210\n")

# apache/: vhost_combined, rotated with bzip2.
def vhost(i, day=30):
    return f'{R.choice(["www.example.com:443", "shop.example.com:443", "www.example.com:80"])} {combined(i, day)}'
w("apache/other_vhosts_access.log", "".join(vhost(i) + "\n" for i in range(200)))
w("apache/other_vhosts_access.log.1.bz2", "".join(vhost(i, 29) + "\n" for i in range(150)), bz2.open)

# caddy/: JSON, client nested under request; traefik/: JSON with ClientHost.
import json as J
lines = []
for i in range(150):
    c = client()
    lines.append(J.dumps({"level": "info", "ts": 1764489600.0 + i * 3.1, "logger": "http.log.access.log0", "msg": "handled request",
        "request": {"remote_ip": c, "remote_port": str(R.randrange(1024, 65535)), "client_ip": c, "proto": "HTTP/2.0", "method": "GET", "host": "example.com", "uri": R.choice(paths),
                    "headers": {"User-Agent": [R.choice(uas)], "Accept": ["*/*"]}},
        "bytes_read": 0, "user_id": "", "duration": round(R.random() / 50, 6), "size": R.randrange(100, 40000), "status": status()}, separators=(",", ":")))
w("caddy/access.log", "\n".join(lines) + "\n")
lines = []
for i in range(120):
    c = client()
    lines.append(J.dumps({"ClientAddr": (f"[{c}]" if ":" in c else c) + f":{R.randrange(1024,65535)}", "ClientHost": c, "ClientPort": "51234", "DownstreamStatus": status(),
        "Duration": R.randrange(10**5, 10**8), "RequestHost": "example.com", "RequestMethod": "GET", "RequestPath": R.choice(paths), "RequestProtocol": "HTTP/1.1",
        "RouterName": "web@docker", "ServiceName": "web@docker", "level": "info", "msg": "", "time": f"2026-11-30T08:{i//60:02d}:{i%60:02d}Z"}, separators=(",", ":")))
w("traefik/access.log", "\n".join(lines) + "\n")
import subprocess
subprocess.run(["zstd", "-q", "--rm", "-19", os.path.join(root, "traefik/access.log"), "-o", os.path.join(root, "traefik/access.log.1.zst")], check=True)

# aws/alb and aws/elb (ALB delivers gzip), cloudfront (tab-separated, gzip).
def port(c): return (f"[{c}]" if ":" in c else c) + f":{R.randrange(1024, 65535)}"
lines = []
for i in range(150):
    s = 8*3600 + i*5
    t = f"2026-11-30T{s//3600:02d}:{s//60%60:02d}:{s%60:02d}.{R.randrange(10**6):06d}Z"
    p = R.choice(paths)
    lines.append(f'{R.choice(["https", "h2"])} {t} app/my-loadbalancer/50dc6c495c0c9188 {port(client())} 10.0.{R.randrange(4)}.{R.randrange(2,250)}:80 0.000 0.00{R.randrange(1,9)} 0.000 {status()} 200 {R.randrange(100,900)} {R.randrange(200, 40000)} "GET https://example.com:443{p} HTTP/1.1" "{R.choice(uas)}" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 0 {t} "forward" "-" "-" "10.0.0.1:80" "200" "-" "-"')
w("aws/alb/app.my-lb_20261130T0805Z_10.0.0.1.log.gz", "\n".join(lines) + "\n", gzip_open)
lines = []
for i in range(100):
    s = 8*3600 + i*5
    t = f"2026-11-30T{s//3600:02d}:{s//60%60:02d}:{s%60:02d}.{R.randrange(10**6):06d}Z"
    lines.append(f'{t} my-loadbalancer {port(client())} 10.0.0.1:80 0.000073 0.001048 0.000057 {status()} 200 0 {R.randrange(200, 40000)} "GET http://example.com:80{R.choice(paths)} HTTP/1.1" "{R.choice(uas)}" - -')
w("aws/elb/my-lb_20261130T0805Z_172.160.1.192.log", "\n".join(lines) + "\n")
lines = ["#Version: 1.0", "#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end"]
for i in range(120):
    s = 8*3600 + i*9
    lines.append("\t".join([ "2026-11-30", f"{s//3600:02d}:{s//60%60:02d}:{s%60:02d}", R.choice(["LAX1", "FRA56-P1", "NRT57-C1"]), str(R.randrange(200, 40000)), client(), "GET", "d111111abcdef8.cloudfront.net", R.choice(paths).split("?")[0], str(status()), "-", R.choice(uas).replace(" ", "%20"), "-", "-", "Hit", "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==", "example.com", "https", "23", "0.001", "-", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "Hit", "HTTP/2.0", "-", "-", str(R.randrange(1024, 65535)), "0.001", "Hit", "text/html", "78", "-", "-"]))
w("aws/cloudfront/E2EXAMPLE.2026-11-30-08.a1b2c3d4.gz", "\n".join(lines) + "\n", gzip_open)

# iis/: W3C extended, two header blocks (a restart), columns in another order after it.
f1 = "date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken"
f2 = "date time c-ip cs-username s-ip s-port cs-method cs-uri-stem cs-uri-query sc-status cs(User-Agent)"
lines = ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0", "#Date: 2026-11-30 08:00:00", "#Fields: " + f1]
for i in range(120):
    s = 8*3600 + i*11; t = f"2026-11-30 {s//3600:02d}:{s//60%60:02d}:{s%60:02d}"
    p = R.choice(paths); stem, _, q = p.partition("?")
    lines.append(f"{t} 10.0.0.4 GET {stem} {q or '-'} 443 - {client()} {R.choice(uas).replace(' ', '+')} - {status()} 0 0 {R.randrange(1, 900)}")
lines += ["#Software: Microsoft Internet Information Services 10.0", "#Version: 1.0", "#Date: 2026-11-30 09:00:00", "#Fields: " + f2]
for i in range(80):
    s = 9*3600 + i*13; t = f"2026-11-30 {s//3600:02d}:{s//60%60:02d}:{s%60:02d}"
    p = R.choice(paths); stem, _, q = p.partition("?")
    lines.append(f"{t} {client()} - 10.0.0.4 443 GET {stem} {q or '-'} {status()} {R.choice(uas).replace(' ', '+')}")
w("iis/W3SVC1/u_ex261130.log", "\r\n".join(lines) + "\r\n")

# haproxy/: via rsyslog, HTTP log format.
lines = []
for i in range(150):
    s = 8*3600 + i*6
    lines.append(f'Nov 30 {s//3600:02d}:{s//60%60:02d}:{s%60:02d} lb1 haproxy[14389]: {port(client())} [30/Nov/2026:{s//3600:02d}:{s//60%60:02d}:{s%60:02d}.{R.randrange(1000):03d}] https-in~ {R.choice(["static", "app"])}/srv{R.randrange(1,4)} 0/0/1/{R.randrange(2,90)}/{R.randrange(3,99)} {status()} {R.randrange(200,40000)} - - ---- 12/12/0/0/0 0/0 "{req()}"')
w("haproxy/haproxy.log", "\n".join(lines) + "\n")

# kubernetes/: a CRI container log of ingress-nginx (combined under the CRI prefix).
lines = []
for i in range(150):
    s = 8*3600 + i*4
    lines.append(f"2026-11-30T{s//3600:02d}:{s//60%60:02d}:{s%60:02d}.{R.randrange(10**9):09d}Z stdout F " + combined(i))
w("kubernetes/ingress-nginx-controller/0.log", "\n".join(lines) + "\n")

# syslog/: nginx sending its access log to syslog (RFC 3164), one file with JSON bodies (RFC 5424).
lines = []
for i in range(150):
    s = 8*3600 + i*4
    lines.append(f"Nov 30 {s//3600:02d}:{s//60%60:02d}:{s%60:02d} web1 nginx: " + combined(i))
w("syslog/nginx-access.log", "\n".join(lines) + "\n")
lines = []
for i in range(100):
    s = 8*3600 + i*4
    c = client()
    body = J.dumps({"time_local": ts(i), "remote_addr": c, "request": req(), "status": str(status()), "body_bytes_sent": str(R.randrange(100, 40000)), "http_user_agent": R.choice(uas)}, separators=(",", ":"))
    lines.append(f"<190>1 2026-11-30T{s//3600:02d}:{s//60%60:02d}:{s%60:02d}.{R.randrange(10**6):06d}Z web2 nginx 2211 - - " + body)
w("syslog/nginx-json.log.xz", "\n".join(lines) + "\n", lzma.open)

# nginx-lb/: a site behind two load balancers, as the server leaves it: its configuration (a
# `main` format with the forwarded header, a second site with a custom layout) and its logs.
# The peer is always a load balancer; X-Forwarded-For holds the client (sometimes a forged entry
# to its left, sometimes a CDN hop to its right), or `-` for the balancers' own health checks.
LBS = ["10.0.1.10", "10.0.1.11"]
def cdn(): return f"203.0.113.{R.randrange(1, 255)}"
def forwarded():
    """The X-Forwarded-For value and whether the request is a health check."""
    if R.random() < 0.08:
        return "-", True
    hops = [client()]
    if R.random() < 0.1:
        hops.insert(0, R.choice(["127.0.0.1", "10.0.0.1", "192.168.1.1", "1.1.1.1", "unknown"]))  # forged by the client
    if R.random() < 0.3:
        hops.append(cdn())
    return ", ".join(hops), False
def lb_line(i, day=30):
    xff, health = forwarded()
    if health:
        return f'{R.choice(LBS)} - - [{ts(i, day)}] "GET /healthz HTTP/1.1" 200 2 "-" "ELB-HealthChecker/2.0" "-"'
    return f'{R.choice(LBS)} - - [{ts(i, day)}] "{req()}" {status()} {R.randrange(100, 40000)} "{R.choice(["-", "https://shop.example.com/", "https://www.google.com/"])}" "{R.choice(uas)}" "{xff}"'
def iso(i, day=30):
    s = 8*3600 + i*11
    return f"2026-11-{day:02d}T{s//3600%24:02d}:{s//60%60:02d}:{s%60:02d}+00:00"
def api_line(i):
    xff, health = forwarded()
    if health:
        return f'[{iso(i)}] {R.choice(LBS)} "GET /healthz HTTP/1.1" 200 2 0.000 "-"'
    p = R.choice(["/v2/orders", "/v2/orders/8812", "/v2/cart", "/v2/session", "/v2/products?page=3"])
    return f'[{iso(i)}] {R.choice(LBS)} "{R.choice(["GET", "GET", "POST", "PUT"])} {p} HTTP/1.1" {status()} {R.randrange(0, 9000)} {R.randrange(0, 900) / 1000:.3f} "{xff}"'
w("nginx-lb/nginx.conf", """user www-data;
worker_processes auto;
pid /run/nginx.pid;
include /etc/nginx/modules-enabled/*.conf;

events {
\tworker_connections 768;
\t# multi_accept on;
}

http {
\tsendfile on;
\ttcp_nopush on;
\ttypes_hash_max_size 2048;
\tserver_tokens off;

\tinclude /etc/nginx/mime.types;
\tdefault_type application/octet-stream;

\tssl_protocols TLSv1.2 TLSv1.3;
\tssl_prefer_server_ciphers on;

\t# The load balancers (10.0.1.10, 10.0.1.11) connect; the client is in X-Forwarded-For.
\tlog_format main '$remote_addr - $remote_user [$time_local] "$request" '
\t                '$status $body_bytes_sent "$http_referer" '
\t                '"$http_user_agent" "$http_x_forwarded_for"';

\terror_log logs/error.log;

\tgzip on;

\tinclude conf.d/*.conf;
}
""")
w("nginx-lb/conf.d/shop.conf", """log_format timed '[$time_iso8601] $remote_addr "$request" $status $body_bytes_sent $request_time "$http_x_forwarded_for"';

server {
\tlisten 80;
\tlisten [::]:80;
\tserver_name shop.example.com;
\troot /var/www/shop;
\tindex index.html;

\taccess_log logs/shop.access.log main;

\tlocation / {
\t\ttry_files $uri $uri/ =404;
\t}

\tlocation = /healthz {
\t\treturn 200 "ok";
\t}
}

server {
\tlisten 80;
\tlisten [::]:80;
\tserver_name api.example.com;

\taccess_log logs/api.access.log timed;

\tlocation / {
\t\tproxy_pass http://127.0.0.1:8080;
\t\tproxy_set_header Host $host;
\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
\t}
}
""")
w("nginx-lb/logs/shop.access.log", "".join(lb_line(i) + "\n" for i in range(360)))
w("nginx-lb/logs/shop.access.log.1", "".join(lb_line(i, 29) + "\n" for i in range(280)))
w("nginx-lb/logs/api.access.log", "".join(api_line(i) + "\n" for i in range(240)))

# apache-site/: Debian's layout (apache2.conf, envvars, sites-enabled/) with a site that logs
# a custom `proxied` layout (peer, X-Forwarded-For, time, duration), which no preset reads.
w("apache-site/apache2.conf", """# This is the main Apache server configuration file.
# See http://httpd.apache.org/docs/2.4/ for detailed information about the directives.
DefaultRuntimeDir ${APACHE_RUN_DIR}
PidFile ${APACHE_PID_FILE}
Timeout 300
KeepAlive On
MaxKeepAliveRequests 100
KeepAliveTimeout 5

User ${APACHE_RUN_USER}
Group ${APACHE_RUN_GROUP}

HostnameLookups Off
ErrorLog ${APACHE_LOG_DIR}/error.log
LogLevel warn

IncludeOptional mods-enabled/*.load
IncludeOptional mods-enabled/*.conf
Include ports.conf

<Directory />
\tOptions FollowSymLinks
\tAllowOverride None
\tRequire all denied
</Directory>

<Directory /var/www/>
\tOptions Indexes FollowSymLinks
\tAllowOverride None
\tRequire all granted
</Directory>

AccessFileName .htaccess

LogFormat "%v:%p %h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" vhost_combined
LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined
LogFormat "%h %l %u %t \\"%r\\" %>s %O" common
# Behind the load balancers (10.0.2.10, 10.0.2.11): the peer, the forwarded chain, the time,
# the duration in microseconds.
LogFormat "%a %{X-Forwarded-For}i %t %D \\"%r\\" %>s %b" proxied

IncludeOptional conf-enabled/*.conf
IncludeOptional sites-enabled/*.conf
""")
w("apache-site/sites-enabled/site.conf", """<VirtualHost *:80>
\tServerName www.example.org
\tServerAdmin webmaster@example.org
\tDocumentRoot /var/www/html

\tRemoteIPHeader X-Forwarded-For

\tErrorLog ${APACHE_LOG_DIR}/error.log
\tCustomLog ${APACHE_LOG_DIR}/site_access.log proxied
</VirtualHost>
""")
w("apache-site/envvars", """# envvars - default environment variables for apache2ctl

# this won't be correct after changing uid
unset HOME

# for supporting multiple apache2 instances
if [ "${APACHE_CONFDIR##/etc/apache2-}" != "${APACHE_CONFDIR}" ] ; then
\tSUFFIX="-${APACHE_CONFDIR##/etc/apache2-}"
else
\tSUFFIX=
fi

export APACHE_RUN_USER=www-data
export APACHE_RUN_GROUP=www-data
export APACHE_PID_FILE=/var/run/apache2$SUFFIX/apache2.pid
export APACHE_RUN_DIR=/var/run/apache2$SUFFIX
export APACHE_LOCK_DIR=/var/lock/apache2$SUFFIX
# Only /var/log/apache2 is handled by /etc/logrotate.d/apache2.
export APACHE_LOG_DIR=/var/log/apache2$SUFFIX

export LANG=C
export LANG
""")
APACHE_LBS = ["10.0.2.10", "10.0.2.11"]
def proxied(i):
    xff, health = forwarded()
    if health:
        return f'{R.choice(APACHE_LBS)} - [{ts(i)}] {R.randrange(80, 400)} "GET /server-status?auto HTTP/1.1" 200 {R.randrange(300, 900)}'
    size = R.choice(["-", str(R.randrange(100, 40000))]) if R.random() < 0.1 else str(R.randrange(100, 40000))
    return f'{R.choice(APACHE_LBS)} {xff} [{ts(i)}] {R.randrange(200, 900000)} "{req()}" {status()} {size}'
w("apache-site/logs/site_access.log", "".join(proxied(i) + "\n" for i in range(220)))

# The presets' long tail (docs/formats.md, "Variants, server by server"), after everything
# above so that its files stay as they were.
def clock(s): return f"{s//3600:02d}:{s//60%60:02d}:{s%60:02d}"

# haproxy/: a TCP frontend (option tcplog) and one with the default format, with the messages
# HAProxy writes beside them (malformed: no request).
lines = ["Nov 30 07:59:58 lb1 haproxy[14390]: Proxy mysql started.", "Nov 30 07:59:58 lb1 haproxy[14390]: Proxy smtp started."]
for i in range(120):
    s = 8*3600 + i*9
    if i % 4 == 3:
        lines.append(f"Nov 30 {clock(s)} lb1 haproxy[14390]: Connect from {port(client())} to 10.0.3.31:25 (smtp/TCP)")
    else:
        state = R.choice(["--"] * 8 + ["CD", "sD", "SC"])
        lines.append(f"Nov 30 {clock(s)} lb1 haproxy[14390]: {port(client())} [30/Nov/2026:{clock(s)}.{R.randrange(1000):03d}] mysql db/db{R.randrange(1,3)} 0/0/{R.randrange(1, 20000)} {R.randrange(100, 90000)} {state} 3/3/2/1/0 0/0")
w("haproxy/haproxy-tcp.log", "\n".join(lines) + "\n")

# aws/s3/: S3 server access logs, as S3 delivers them (named by time, no extension); its own lifecycle
# operations carry no client.
OWNER = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"
lines = []
for i in range(120):
    s = 8*3600 + i*5
    key = R.choice(["photos/2026/puppy.jpg", "index.html", "css/site.css", "data/report.csv"])
    rid = f"{R.randrange(16**16):016X}"
    if i % 30 == 29:
        lines.append(f'{OWNER} awsexamplebucket1 [30/Nov/2026:{clock(s)} +0000] - AmazonS3 {rid} S3.EXPIRE.OBJECT {key} "-" - - - - - - - - -')
        continue
    op, st = R.choice([("REST.GET.OBJECT", 200)] * 6 + [("REST.HEAD.OBJECT", 200), ("REST.GET.OBJECT", 404), ("REST.PUT.OBJECT", 200)])
    err = "NoSuchKey" if st == 404 else "-"
    lines.append(f'{OWNER} awsexamplebucket1 [30/Nov/2026:{clock(s)} +0000] {client()} {OWNER} {rid} {op} {key} "{op.split(".")[1]} /awsexamplebucket1/{key} HTTP/1.1" {st} {err} {R.randrange(100, 90000)} {R.randrange(100, 90000)} {R.randrange(1, 90)} {R.randrange(1, 40)} "-" "{R.choice(uas)}" - {rid}= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader awsexamplebucket1.s3.us-west-1.amazonaws.com TLSv1.2 - -')
w("aws/s3/2026-11-30-08-00-00-7E5A1C2B3D4F5A6B", "\n".join(lines) + "\n")

# kubernetes/: an Istio sidecar's container log (its default format under the CRI prefix):
# the client is the forwarded header's, else the downstream peer.
lines = []
for i in range(150):
    s = 8*3600 + i*4
    xff = f'"{client()}"' if R.random() < 0.6 else '"-"'
    st = status()
    lines.append(f'2026-11-30T{clock(s)}.{R.randrange(10**9):09d}Z stdout F [2026-11-30T{clock(s)}.{R.randrange(1000):03d}Z] "{req()}" {st} - via_upstream - "-" 0 {R.randrange(100, 40000)} {R.randrange(1, 90)} {R.randrange(1, 80)} {xff} "{R.choice(uas)}" "{R.randrange(16**8):08x}-6d84-929d-98bd-c5aee93b5c88" "shop.example.com" "10.44.1.27:8080" outbound|8080||shop.default.svc.cluster.local 10.44.1.23:37652 10.44.1.23:8080 {port(client())} - default')
w("kubernetes/istio-proxy/0.log", "\n".join(lines) + "\n")

# squid/: Squid's native access.log.
lines = []
for i in range(150):
    s = 1795996800 + 8*3600 + i*3  # 2026-11-30T08:00:00Z on
    result = R.choice(["TCP_MISS/200"] * 5 + ["TCP_HIT/200", "TCP_REFRESH_UNMODIFIED/304", "TCP_DENIED/403", "TCP_TUNNEL/200"])
    if result == "TCP_TUNNEL/200":
        method, url, hier = "CONNECT", "example.com:443", "HIER_DIRECT/93.184.216.34"
    else:
        method, url = "GET", "http://example.com" + R.choice(paths)
        hier = "HIER_NONE/-" if result.startswith(("TCP_HIT", "TCP_DENIED")) else "HIER_DIRECT/93.184.216.34"
    lines.append(f"{s}.{R.randrange(1000):03d} {R.randrange(0, 3000):>6} {client()} {result} {R.randrange(300, 90000)} {method} {url} - {hier} {R.choice(['text/html', 'image/png', '-'])}")
w("squid/access.log", "\n".join(lines) + "\n")

# apache/: mod_ssl's ssl_request_log (Red Hat's ssl.conf writes it beside ssl_access_log).
lines = []
for i in range(120):
    proto, cipher = R.choice([("TLSv1.3", "TLS_AES_256_GCM_SHA384"), ("TLSv1.2", "ECDHE-RSA-AES128-GCM-SHA256")])
    lines.append(f'[{ts(i)}] {client()} {proto} {cipher} "{req()}" {R.choice(["-", str(R.randrange(100, 40000))]) if R.random() < 0.1 else R.randrange(100, 40000)}')
w("apache/ssl_request_log", "\n".join(lines) + "\n")

# iis/: a log a shipper cut after its header: IIS 10's default fields, no #Fields: line.
lines = []
for i in range(100):
    s = 10*3600 + i*17
    p = R.choice(paths); stem, _, q = p.partition("?")
    lines.append(f"2026-11-30 {clock(s)} 10.0.0.5 GET {stem} {q or '-'} 443 - {client()} {R.choice(uas).replace(' ', '+')} - {status()} 0 0 {R.randrange(1, 900)}")
w("iis/W3SVC2/u_ex261130.log", "\r\n".join(lines) + "\r\n")
