#!/usr/bin/env python3
"""Writes the seed corpora of the server fuzz targets (fuzz/corpus/{http,oip_json,
repo_resolver}/), deterministically: valid requests of every endpoint, binary-extension and
explain requests, v1 rows bodies, admin requests, chunked and pipelined requests, and
operation lists for the repository resolver. Run from anywhere; (re)writes its named seeds
and leaves the hash-named units that libFuzzer's -merge added next to them.
The input layouts are documented at the top of each fuzz/<name>_fuzz.cc."""
import gzip
import json
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROW = [{"name": "age", "datatype": "FP32", "shape": [1], "data": [30]},
       {"name": "member", "datatype": "BOOL", "shape": [1], "data": [True]},
       {"name": "city", "datatype": "BYTES", "shape": [1], "data": ["paris"]}]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def v2_bodies():
    """(name, json bytes, binary tail) for the infer endpoint."""
    out = []
    two = [{"name": "age", "datatype": "INT64", "shape": [2, 1], "data": [[30], [51]]},
           {"name": "member", "datatype": "BOOL", "shape": [2], "data": [True, None]},
           {"name": "city", "datatype": "BYTES", "shape": [2], "data": ["lyon", ""]}]
    out.append(("one_row", {"inputs": ROW}, b""))
    out.append(("two_rows_id", {"id": "r1", "inputs": two}, b""))
    out.append(("outputs", {"inputs": ROW, "outputs": [{"name": "label"},
                {"name": "probabilities", "parameters": {"binary_data": True}}]}, b""))
    out.append(("explain", {"inputs": two, "parameters": {"explain": True},
                            "outputs": [{"name": "contributions"}, {"name": "base_value"}]}, b""))
    out.append(("binary_out", {"inputs": ROW, "parameters": {"binary_data_output": True}}, b""))
    out.append(("bad_dtype", {"inputs": [dict(ROW[0], datatype="FP16")]}, b""))
    out.append(("nan", {"inputs": [dict(ROW[0], data=["NaN"])] + ROW[1:]}, b""))
    # Binary extension: age FP32 x2, member BOOL x2, city BYTES x2 (length-prefixed).
    age = struct.pack("<2f", 30.0, 51.0)
    member = bytes([1, 0])
    city = struct.pack("<I", 5) + b"paris" + struct.pack("<I", 4) + b"lyon"
    bins = [{"name": "age", "datatype": "FP32", "shape": [2],
             "parameters": {"binary_data_size": len(age)}},
            {"name": "member", "datatype": "BOOL", "shape": [2],
             "parameters": {"binary_data_size": len(member)}},
            {"name": "city", "datatype": "BYTES", "shape": [2],
             "parameters": {"binary_data_size": len(city)}}]
    out.append(("binary_in", {"inputs": bins, "parameters": {"binary_data_output": True}},
                age + member + city))
    i64 = struct.pack("<q", 44)
    out.append(("binary_int64", {"inputs": [{"name": "age", "datatype": "INT64", "shape": [1],
                "parameters": {"binary_data_size": 8}}] + ROW[1:]}, i64))
    return [(n, json.dumps(j, separators=(",", ":")).encode(), t) for n, j, t in out]


V1_BODIES = [("v1_rows", b'[{"age":34,"member":"yes","city":"paris"},{"age":null,"city":"nice"}]'),
             ("v1_bool", b'[{"age":1e2,"member":true}]'),
             ("v1_empty", b'[]')]


def oip_json():
    for name, js, tail in v2_bodies():
        if tail:
            write("oip_json", name, bytes([1]) + struct.pack("<H", len(js)) + js + tail)
        else:
            write("oip_json", name, bytes([0]) + js)
    for name, body in V1_BODIES:
        write("oip_json", name, bytes([2]) + body)


def req(method, path, body=b"", headers=(), close=True):
    h = [f"{method} {path} HTTP/1.1", "Host: x"] + list(headers)
    if close:
        h.append("Connection: close")
    if body or method == "POST":
        h.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(h) + "\r\n\r\n").encode() + body


def http():
    cuts = lambda *c: bytes([len(c)]) + b"".join(struct.pack("<H", x) for x in c)
    auth = ["Authorization: Bearer t"]
    reqs = {
        "live": req("GET", "/v2/health/live"),
        "ready": req("GET", "/v2/health/ready"),
        "server_meta": req("GET", "/v2"),
        "model_meta": req("GET", "/v2/models/tiny"),
        "version_meta": req("GET", "/v2/models/tiny/versions/1"),
        "model_ready": req("HEAD", "/v2/models/tiny/ready"),
        "metrics": req("GET", "/metrics"),
        "unknown": req("GET", "/v2/models/nope/versions/7/ready"),
        "traversal": req("GET", "/v2/models/%2e%2e%2fsecret"),
        "admin_index": req("POST", "/v2/repository/index", headers=auth),
        "admin_unload": req("POST", "/v2/repository/models/tiny/unload", headers=auth),
        "admin_load": req("POST", "/v2/repository/models/tiny/load", headers=auth),
        "admin_noauth": req("POST", "/v2/repository/index", headers=["Authorization: Bearer x"]),
        "v1_predict": req("POST", "/v1/models/tiny/predict?explain=true", V1_BODIES[0][1]),
        "expect": req("POST", "/v1/models/tiny/predict", V1_BODIES[1][1], headers=["Expect: 100-continue"]),
        "too_large": req("GET", "/v2", headers=["Content-Length: 99999999"], close=True),
    }
    for name, js, tail in v2_bodies():
        hs = [f"Inference-Header-Content-Length: {len(js)}"] if tail else []
        reqs["infer_" + name] = req("POST", "/v2/models/tiny/infer", js + tail, headers=hs)
    one = v2_bodies()[0][1]
    chunked = (b"POST /v2/models/tiny/versions/1/infer HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n")
    for i in range(0, len(one), 40):
        part = one[i:i + 40]
        chunked += b"%x\r\n" % len(part) + part + b"\r\n"
    reqs["chunked"] = chunked + b"0\r\n\r\n"
    infer = "/v2/models/tiny/infer"
    reqs["gzip"] = req("POST", infer, gzip.compress(one, mtime=0), headers=["Content-Encoding: gzip"])
    reqs["deflate"] = req("POST", infer, zlib.compress(one), headers=["Content-Encoding: deflate"])
    reqs["coding_br"] = req("POST", infer, one, headers=["Content-Encoding: br"])
    reqs["pipelined"] = (req("GET", "/v2/health/live", close=False) +
                         req("POST", "/v2/models/tiny/infer", one, close=False) +
                         req("GET", "/v2/models/tiny"))
    for name, data in sorted(reqs.items()):
        write("http", name, cuts() + data)
        if name in ("chunked", "pipelined", "infer_one_row", "infer_binary_in", "gzip"):
            n = len(data)
            write("http", name + "_split", cuts(3, n // 2, n - 1) + data)


def repo_resolver():
    # 3 slot shapes, then operations: 0 Poll, 1 Load, 2 Unload, 3 Find, 4 Route, 5 reshape.
    seeds = {
        "valid_slots": bytes([1, 6, 11, 0]),
        "outside_slots": bytes([2, 3, 4, 0, 3, 3, 1]),
        "hardlink_loop": bytes([5, 7, 8, 1, 10, 1, 11, 1, 12]),
        "reshape": bytes([1, 1, 1, 5, 0, 2, 5, 1, 4, 5, 2, 5, 0, 1, 10]),
        "versions": bytes([9, 10, 13, 3, 10, 4, 3, 11, 4, 3, 0, 1]),
        "unload_load": bytes([1, 0, 0, 2, 0, 0, 1, 0, 2, 12, 1, 12]),
        "routes": bytes([0, 0, 0, 4, 0, 0, 4, 1, 0, 1, 4, 2, 3, 4, 3, 4, 4]) + b"\x20/v2/models/../secret/ready",
        "route_admin": bytes([4, 4, 4, 4, 10, 0, 4, 10, 10, 4, 2, 5, 1]),
    }
    for name, data in seeds.items():
        write("repo_resolver", name, data)


if __name__ == "__main__":
    oip_json()
    http()
    repo_resolver()
