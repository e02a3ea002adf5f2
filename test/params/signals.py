#!/usr/bin/env python3
"""Runs a pipeline ending in kvssink from Python (GObject introspection), connects to the
official element's signals and prints what each handler read, one JSON object per line.

    signals.py "<pipeline description>" [--change-while-playing]

With --change-while-playing, at the first ACK it sets retention-period (read at start: refused
with a warning) and get-kvs-metrics (may change while PLAYING), and prints what they read back.

A drop-in's signals must be usable from bindings: the payloads are read here as a Python
program would, through Gst.Structure getters, not raw pointers.
"""
import json
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


# Signals come from the element's threads: one line at a time.
output_lock = threading.Lock()


def emit(kind, **fields):
    line = json.dumps({"signal": kind, **fields})
    with output_lock:
        print(line, flush=True)


CHANGE_WHILE_PLAYING = "--change-while-playing" in sys.argv
changed = False


def change_while_playing(sink):
    global changed
    if changed:
        return
    changed = True
    sink.set_property("retention-period", 9)
    sink.set_property("get-kvs-metrics", True)
    emit("changed", retention_period=sink.get_property("retention-period"),
         get_kvs_metrics=sink.get_property("get-kvs-metrics"))


def on_fragment_ack(sink, ack):
    if CHANGE_WHILE_PLAYING:
        change_while_playing(sink)
    ok_ts, timestamp = ack.get_uint64("timestamp")
    ok_result, result = ack.get_uint64("result")
    emit("fragment-ack", name=ack.get_name(), ack_type=ack.get_string("ack-type"),
         sequence_number=ack.get_string("sequence-number"),
         timestamp=timestamp if ok_ts else None, result=result if ok_result else None)


def on_metric(sink, metric):
    fields = {}
    for key in ("content-store-size", "content-store-available-size", "content-store-allocated-size",
                "current-view-size", "overall-view-size", "overall-view-duration-ms",
                "current-frame-rate", "current-transfer-rate", "frame-pts"):
        ok, value = metric.get_uint64(key)
        fields[key] = value if ok else None
    ok, first = metric.get_boolean("on-first-frame")
    emit("stream-client-metric", name=metric.get_name(), on_first_frame=first if ok else None, **fields)


def on_stream_error(sink, status):
    emit("stream-error", status=status)


def main():
    Gst.init(None)
    pipeline = Gst.parse_launch(sys.argv[1])
    sink = pipeline.get_by_name("sink")
    sink.connect("fragment-ack", on_fragment_ack)
    sink.connect("stream-client-metric", on_metric)
    sink.connect("stream-error", on_stream_error)
    loop = GLib.MainLoop()
    outcome = {"signal": None, "end": None}

    def on_message(bus, message):
        if message.type == Gst.MessageType.EOS:
            outcome["end"] = "eos"
            loop.quit()
        elif message.type == Gst.MessageType.WARNING:
            err, _debug = message.parse_warning()
            emit("warning", message=err.message)
        elif message.type == Gst.MessageType.ERROR:
            err, _debug = message.parse_error()
            outcome["end"] = "error"
            outcome["error"] = err.message
            loop.quit()

    bus = pipeline.get_bus()
    bus.add_signal_watch()
    bus.connect("message", on_message)
    GLib.timeout_add_seconds(60, loop.quit)
    pipeline.set_state(Gst.State.PLAYING)
    loop.run()
    pipeline.set_state(Gst.State.NULL)
    print(json.dumps(outcome), flush=True)


if __name__ == "__main__":
    main()
