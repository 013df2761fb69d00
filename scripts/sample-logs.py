#!/usr/bin/env python3
"""Writes the per-format samples of sample_logs/ (deterministic; the zstd file needs `zstd`).

    python3 scripts/sample-logs.py sample_logs

One small, realistic file per log format and prefix, compressed the ways servers and log
shippers leave them, and an nginx directory with what is not an access log beside the logs.
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
