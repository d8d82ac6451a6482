"""``urbanrural serve``: the web app on uvicorn (see :mod:`urbanrural.web`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from . import say

__all__ = ["add", "run", "default_root", "no_token_refusal"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def default_root() -> Path:
    """Where job folders go unless ``--root`` says: ``$XDG_CACHE_HOME/urbanrural/web-jobs``
    (``~/.cache/urbanrural/web-jobs``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "urbanrural" / "web-jobs"


def add(sub, make_parser) -> None:
    """Register ``serve`` (bilingual help)."""
    sp = make_parser(sub, "serve", "网页应用：上传数据、运行分析、下载报告（默认只在本机 127.0.0.1 上提供）",
                     "the web app: upload data, run the analysis, download the report (served "
                     "on 127.0.0.1 only unless told otherwise)",
                     "urbanrural serve --port 8000 --root ./jobs")
    sp.add_argument("--host", default="127.0.0.1", help="address to serve on; anything but "
                    "127.0.0.1 exposes the app to the network (use --token then) 监听地址")
    sp.add_argument("--port", type=int, default=8000, help="port 端口")
    sp.add_argument("--root", default=None, help="folder of the job folders 任务文件夹的根目录 "
                    f"(default 默认: {default_root()})")
    sp.add_argument("--max-upload-mb", type=float, default=50.0,
                    help="largest file accepted, in MB (larger: HTTP 413) 单个上传文件的上限（MB）")
    sp.add_argument("--workers", type=int, default=2,
                    help="jobs run at once, each in its own process 同时运行的任务数")
    sp.add_argument("--queue", type=int, default=100,
                    help="jobs that may wait beyond those running 排队任务上限")
    sp.add_argument("--ttl-hours", type=float, default=24.0,
                    help="job folders are removed this long after their last change "
                         "任务文件夹的保留时间（小时）")
    sp.add_argument("--token", default=None, help="require this token; better set "
                    "URBANRURAL_WEB_TOKEN (a flag shows in the process list); users open "
                    "/?token=... once 访问令牌（建议用环境变量 URBANRURAL_WEB_TOKEN）")
    sp.add_argument("--insecure-no-token", action="store_true",
                    help="serve on an address other than 127.0.0.1 without a token (anyone who "
                    "can reach it can use it) 不设访问令牌而在非本机地址上提供服务（任何能访问该地址的人"
                    "都能使用）")
    sp.add_argument("--grace", type=float, default=30.0,
                    help="seconds running jobs get to finish at shutdown 关闭时等待任务完成的秒数")
    sp.set_defaults(func=run)


def config_from_args(args):
    """The :class:`~urbanrural.web.jobs.WebConfig` of the parsed flags."""
    from ..web.jobs import WebConfig

    return WebConfig(root=Path(args.root) if args.root else default_root(),
                     max_upload_bytes=int(args.max_upload_mb * 1024 * 1024),
                     workers=args.workers, queue_size=args.queue,
                     ttl_seconds=args.ttl_hours * 3600.0,
                     token=args.token or os.environ.get("URBANRURAL_WEB_TOKEN") or None,
                     grace_seconds=args.grace, host=args.host)


def no_token_refusal(host: str, token: str | None, *, insecure: bool) -> str | None:
    """Why serving ``host`` without a token is refused (bilingual), or ``None`` when allowed:
    off the loopback address a token is needed unless ``--insecure-no-token`` says otherwise.

    Examples
    --------
    >>> no_token_refusal("127.0.0.1", None, insecure=False) is None
    True
    >>> "--token" in no_token_refusal("0.0.0.0", None, insecure=False)
    True
    >>> no_token_refusal("0.0.0.0", "s3cret", insecure=False) is None
    True
    """
    if host in LOOPBACK or token is not None or insecure:
        return None
    return (f"拒绝在 {host} 上无令牌地提供服务：任何能访问该地址的人都能上传和运行任务。请用 --token "
            "或环境变量 URBANRURAL_WEB_TOKEN 设置访问令牌；确需开放时加 --insecure-no-token\n"
            f"refusing to serve on {host} without a token: anyone who can reach it could upload "
            "and run jobs. Set one with --token or URBANRURAL_WEB_TOKEN, or pass "
            "--insecure-no-token if you mean it")


def setup_logging() -> None:
    """Structured logs: one JSON object per line on standard error."""
    import logging

    from ..web.app import JsonFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("urbanrural.web", "uvicorn", "uvicorn.error"):
        log = logging.getLogger(name)
        log.handlers[:] = [handler]
        log.setLevel(logging.INFO)
        log.propagate = False


def run(args) -> int:
    """Serve until interrupted (SIGINT/SIGTERM: running jobs get ``--grace`` seconds)."""
    try:
        import fastapi  # noqa: F401
        import uvicorn
    except ImportError as exc:
        say(f"网页应用需要额外的包：pip install 'urbanrural[web]'（缺少 {exc.name}）\n"
              f"the web app needs extra packages: pip install 'urbanrural[web]' "
              f"({exc.name} is missing)", file=sys.stderr)
        return 2

    from ..web.app import create_app

    config = config_from_args(args)
    refusal = no_token_refusal(config.host, config.token, insecure=args.insecure_no_token)
    if refusal:
        say(refusal, file=sys.stderr)
        return 2
    setup_logging()
    if config.host not in LOOPBACK and config.token is None:
        import logging

        logging.getLogger("urbanrural.web").warning(
            "serving on %s without a token (--insecure-no-token): anyone who can reach it can "
            "use it / 在 %s 上提供服务而未设访问令牌（--insecure-no-token）：任何能访问该地址的人都能使用",
            config.host, config.host)
    app = create_app(config)
    uvicorn.run(app, host=config.host, port=args.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=config.grace_seconds + 10)
    return 0
