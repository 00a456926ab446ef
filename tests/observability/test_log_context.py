"""What a log line is about, in text and in JSON, and nested and concurrent contexts."""

from __future__ import annotations

import io
import json
import logging
import threading

from hotline.base.log_context import TEXT_FORMAT, AboutFilter, JsonFormatter, about, log_format


def capture(formatter: logging.Formatter) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(AboutFilter())
    handler.setFormatter(formatter)
    logger = logging.getLogger(f"test.about.{id(out)}")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    return logger, out


def test_json_lines_carry_the_incident_reference_and_the_call():
    logger, out = capture(JsonFormatter())
    logger.info("before")
    with about(1, call_sid="CA123"):
        logger.info("inside %s", "the call")
        with about(callout=7):
            logger.info("deeper")
    logger.info("after")
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line.get("incident") for line in lines] == [None, "1001", "1001", None]
    assert lines[1]["message"] == "inside the call" and lines[1]["call_sid"] == "CA123"
    assert lines[2]["callout"] == "7" and lines[2]["call_sid"] == "CA123"
    assert "callout" not in lines[3]


def test_text_lines_say_it_at_the_end_and_threads_do_not_mix():
    logger, out = capture(logging.Formatter(TEXT_FORMAT))
    barrier = threading.Barrier(2)

    def handle(incident_id: int) -> None:
        with about(incident_id):
            barrier.wait()
            logger.info("handling")

    threads = [threading.Thread(target=handle, args=(i,)) for i in (5, 6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    said = sorted(line.split(": ", 1)[1] for line in out.getvalue().splitlines())
    assert said == ["handling [incident=1005]", "handling [incident=1006]"]


def test_the_format_comes_from_the_environment():
    assert log_format({"HOTLINE_LOG_FORMAT": "JSON"}) == "json"
    assert log_format({}) == "text"
    assert log_format({"HOTLINE_LOG_FORMAT": "xml"}) == "text"
