"""Throughput: a user's acvae epoch against the reference's own net in a plain Keras ``fit``.

Both train the same net, ``configs/reference.gin`` (the reference's encoder, decoder, loss and
sampling; 0.29 M parameters), on the same synthetic villagers (64x64x4, batch 16, latent 1,
Adam 1e-3), the same training images, in the same process:

  * ``reference model.fit``: ``keras.Model.fit`` with a custom ``train_step`` on the model's
    loss: training only, no validation, nothing drawn, nothing saved;
  * ``acvae step``: acvae's compiled steps alone (``acvae.training.steps.Steps``, 8 steps a call);
  * ``acvae user epoch``: ``acvae.training.loop.train`` as ``python -m acvae.main`` runs it: training,
    validation every epoch, the training-movie frame, TensorBoard summaries, ``history.csv``,
    the checkpoint and the best checkpoint. Two rows: the issue's user epoch (training +
    validation + movie frame: ``history.csv``'s ``seconds``), and the wall time from one
    epoch's end (after its frame) to the next, which also counts the checkpoints and logs.

An epoch of ``fit`` and of the steps is the wall time from one epoch's end to the next; img/s is
training images per second of it, and the CPU seconds (this process, every thread) show the
same comparison less disturbed by other work on the machine. The first epoch (tracing) is not
counted; every number is the median of the timed epochs over interleaved repeats (min-max in
brackets), so background load hits every variant alike; the load average is printed before and
after. Each variant runs in float32 and, on a CPU with bfloat16 units, in ``mixed_bfloat16``.

Then it profiles one acvae user epoch with ``tf.profiler`` and prints the top TensorFlow ops by
self time and where the Python thread waited, measures the CPU's float32 matmul peak (a
``--matmul``-sized square product) and prints the share of it acvae's training step reaches,
from the step's FLOPs (every convolution, transposed convolution and dense layer: forward,
input gradient and weight gradient). The CPU is named from ``/proc/cpuinfo``.

    python benchmarks/throughput.py [--epochs 4] [--repeats 5] [--n 400] [--float32_only]
"""

from __future__ import annotations

import argparse
import collections
import math
import os
import pathlib
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

import machine  # noqa: E402  benchmarks/machine.py: the CPU, the load, the clocks

from acvae.core import config  # noqa: E402
from acvae.runs import experiment  # noqa: E402
from acvae.runs.run_folder import RunFolder  # noqa: E402
from acvae.training import precision  # noqa: E402
from acvae.training.loop import train  # noqa: E402
from acvae.training.steps import Steps  # noqa: E402
from acvae.visualise.base import Visualiser  # noqa: E402
from acvae.visualise.training_movie import TrainingMovie  # noqa: E402

REPO = pathlib.Path(__file__).resolve().parent.parent
CONFIG = "configs/reference.gin"
ROWS = ("reference model.fit", "acvae step",
        "acvae user epoch: training + validation + movie frame (history.csv)",
        "acvae user epoch, wall: also checkpoints, TensorBoard, history.csv")


class PlainVAE(keras.Model):
    """The reference's loop: Keras ``fit`` drives a custom ``train_step`` on the model's loss."""

    def __init__(self, vae, **kwargs):
        super().__init__(**kwargs)
        self.vae = vae

    def train_step(self, images):
        with tf.GradientTape() as tape:
            terms = self.vae.loss_terms(images, training=True)
            loss = tf.reduce_mean(self.vae.objective(terms, 1.0))
        variables = self.vae.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"loss": loss}


class _FitEpochEnds(keras.callbacks.Callback):
    """The clocks at the start of ``fit`` and at every epoch's end."""

    def on_train_begin(self, logs=None):
        self.ends = [machine.clock()]

    def on_epoch_end(self, epoch, logs=None):
        self.ends.append(machine.clock())


class _TrainEpochEnds(Visualiser):
    """The clocks at every epoch's end of acvae's training (listed last: after the frame);
    with ``trace``, a ``tf.profiler`` trace of epoch 2 into that folder."""

    def __init__(self, trace: str | None = None):
        self.ends, self.trace = [], trace

    def on_epoch_end(self, run, epoch):
        self.ends.append(machine.clock())
        if self.trace and epoch in (1, 2):
            (tf.profiler.experimental.start if epoch == 1 else tf.profiler.experimental.stop)(
                self.trace)

    def __deepcopy__(self, memo):  # gin copies bound values: the clock must stay this one
        return self

    def on_train_end(self, run):
        return []


def _configure(args, policy: str, epochs: int) -> None:
    gin.clear_config(clear_constants=True)
    config.load([str(REPO / CONFIG)], [
        "experiment.dataset = @datasets.synthetic()", f"datasets.synthetic.n = {args.n}",
        "LATENT_DIM = 1", "BATCH_SIZE = 16", "EPOCH_STEP = 1", f"N_EPOCHS = {epochs}",
        f"train.precision = '{policy}'"], finalize=False)


def _durations(ends: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """(wall, CPU) seconds of each epoch from epoch-end clocks, without the first epoch
    (tracing)."""
    return [(later[0] - earlier[0], later[1] - earlier[1])
            for earlier, later in zip(ends[1:], ends[2:])]


def reference_fit(args, policy: str) -> list[tuple[float, float]]:
    """(Wall, CPU) seconds of each timed epoch of the reference's net in ``model.fit``."""
    _configure(args, policy, args.epochs + 1)
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        data, model = experiment.build()
        plain = PlainVAE(model)
        plain.compile(optimizer=keras.optimizers.Adam(1e-3))
        clock = _FitEpochEnds()
        plain.fit(data.train.map(lambda batch: batch["image"]), epochs=args.epochs + 1,
                  verbose=0, callbacks=[clock])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return _durations(clock.ends)


def acvae_step(args, policy: str) -> list[tuple[float, float]]:
    """(Wall, CPU) seconds of each timed epoch of the same net trained by acvae's steps alone."""
    _configure(args, policy, args.epochs + 1)
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(0)
        data, model = experiment.build()
        optimizer = keras.optimizers.Adam(1e-3)
        optimizer.build(model.trainable_variables)
        steps = Steps(model, optimizer, jit_compile=False)
        steps_per_epoch, beta = math.ceil(data.n_train / data.batch_size), tf.constant(1.0)
        ends = [machine.clock()]
        for _ in range(args.epochs + 1):
            iterator = iter(steps.distribute(data.train))
            for done in range(0, steps_per_epoch, 8):
                totals = steps.train_steps(iterator, tf.constant(min(8, steps_per_epoch - done)),
                                           beta)
            float(totals["loss"])
            ends.append(machine.clock())
    finally:
        keras.mixed_precision.set_global_policy("float32")
    return _durations(ends)


def user_epoch(args, policy: str, trace: str | None = None) -> dict[str, list]:
    """A real training of the net: each timed epoch's (wall, CPU) seconds (``"clocks"``) and
    ``history.csv``'s parts (its ``seconds``: training, validation and the movie frame, not the
    checkpoints and summaries after them); with ``trace``, epoch 2 is profiled."""
    _configure(args, policy, args.epochs + 1)
    clock = _TrainEpochEnds(trace)
    gin.bind_parameter("train.visualisers", [TrainingMovie(), clock])  # the frame every epoch
    with tempfile.TemporaryDirectory() as tmp:
        train(pathlib.Path(tmp) / "run")
        rows = RunFolder(pathlib.Path(tmp) / "run").read_history()[1:]
    parts = {key: [row[key] for row in rows]
             for key in ("seconds", "train_seconds", "validation_seconds", "figure_seconds")}
    return {"clocks": _durations([(math.nan, math.nan)] + clock.ends), **parts}


def _trace_times(trace: str) -> tuple[collections.Counter, collections.Counter]:
    """Picoseconds from the newest ``tf.profiler`` trace under ``trace``: the self time of each
    TensorFlow op type on the compute threads, and the time of each outermost event (a
    compiled call, an eager op) on the Python thread."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    path = max(pathlib.Path(trace).rglob("*.xplane.pb"), key=lambda p: p.stat().st_mtime)
    space = xplane_pb2.XSpace.FromString(path.read_bytes())
    plane = next(plane for plane in space.planes if plane.name == "/host:CPU")
    ops, python = collections.Counter(), collections.Counter()
    for line in plane.lines:
        events = sorted(((e.offset_ps, e.duration_ps, plane.event_metadata[e.metadata_id].name)
                         for e in line.events))
        own, open_ = [duration for _, duration, _ in events], []  # open_: enclosing events
        for i, (start, duration, name) in enumerate(events):
            while open_ and sum(events[open_[-1]][:2]) <= start:
                open_.pop()
            if open_:
                own[open_[-1]] -= duration
            elif line.name == "python":
                python[name] += duration
            open_.append(i)
        for (_, _, name), picoseconds in zip(events, own):
            if line.name != "python" and ":" in name and "::" not in name:
                ops[name.rsplit(":", 1)[1]] += picoseconds  # "scope/op:OpType"
    return ops, python


def profile_epoch(args, top: int) -> None:
    """Prints the top ops by self time in one profiled acvae user epoch (float32), and where
    its Python thread spent the epoch."""
    with tempfile.TemporaryDirectory() as trace:
        timed = user_epoch(argparse.Namespace(n=args.n, epochs=2), "float32", trace)
        ops, python = _trace_times(trace)
    epoch, busy = timed["clocks"][0][0], sum(ops.values()) / 1e12
    print(f"\nprofile of one acvae user epoch (float32, {epoch:.2f} s wall; tf.profiler): "
          f"TensorFlow ops ran {busy:.2f} s of CPU time on the compute threads; top by self "
          "time:\n| op | ms per epoch | share of op time |\n| --- | ---: | ---: |")
    for name, picoseconds in ops.most_common(top):
        print(f"| {name} | {picoseconds / 1e9:.1f} | {100 * picoseconds / 1e12 / busy:.0f}% |")
    traced = sum(python.values()) / 1e9
    print("\nthe Python thread's epoch: compiled calls (train_steps, evaluate, decode_mean, ...) "
          "and eager ops by time\n| event | ms |\n| --- | ---: |")
    for name, picoseconds in python.most_common(8):
        print(f"| {name[:60]} | {picoseconds / 1e9:.1f} |")
    print(f"| Python outside TensorFlow calls (the rest of the epoch) | "
          f"{1000 * epoch - traced:.1f} |")


def matmul_peak(size: int, repeats: int = 10) -> float:
    """The best float32 GFLOP/s of a ``size`` x ``size`` matrix product on this CPU."""
    a, b = tf.random.normal([size, size]), tf.random.normal([size, size])
    product = tf.function(tf.linalg.matmul)
    product(a, b).numpy()
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).numpy()
        best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def _layers(model: keras.Model):
    """The layers of ``model``, those of nested models included."""
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _layers(layer)
        else:
            yield layer


def step_flops(model, batch_size: int) -> float:
    """FLOPs of one training step of ``model``'s encoder and decoder on ``batch_size`` images:
    3x the forward multiply-adds of every convolution, transposed convolution and dense layer
    (forward, input gradient, weight gradient); elementwise ops are not counted."""
    forward = 0
    for layer in (*_layers(model.encoder), *_layers(model.decoder)):
        if isinstance(layer, keras.layers.Conv2DTranspose):  # every input pixel x kernel
            forward += math.prod(layer.input.shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Conv2D):  # every output pixel x kernel
            forward += math.prod(layer.output.shape[1:3]) * math.prod(layer.kernel.shape)
        elif isinstance(layer, keras.layers.Dense):
            forward += math.prod(layer.kernel.shape)
    return 3 * 2 * forward * batch_size


def _run_all(args, policies) -> tuple[dict, dict]:
    """Every variant in every policy, interleaved ``args.repeats`` times: the timed epochs'
    (wall, CPU) seconds by ``(row, policy)``, and the user epochs' parts by policy."""
    run = {"reference model.fit": reference_fit, "acvae step": acvae_step}
    seconds = {(row, policy): [] for policy in policies for row in ROWS}
    parts = {policy: collections.defaultdict(list) for policy in policies}
    for _ in range(args.repeats):
        for policy in policies:
            for what, function in run.items():
                seconds[(what, policy)] += function(args, policy)
            timed = user_epoch(args, policy)
            seconds[(ROWS[2], policy)] += [(value, math.nan) for value in timed["seconds"]]
            seconds[(ROWS[3], policy)] += timed["clocks"]
            for key, values in timed.items():
                parts[policy][key] += values
    return seconds, parts


def _print_table(seconds, parts, n_train: int) -> None:
    """The ratio table (medians, each row against the float32 reference fit) and the user
    epoch's parts."""
    def median(values, which):
        return statistics.median(value[which] for value in values)

    reference = seconds[(ROWS[0], "float32")]
    print("\n| run | precision | s/epoch (min-max) | img/s | vs reference fit | CPU s/epoch "
          "| vs reference (CPU) |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for (what, policy), values in seconds.items():
        wall, cpu = median(values, 0), median(values, 1)
        walls = [value[0] for value in values]
        print(f"| {what} | {policy} | {wall:.2f} ({min(walls):.2f}-{max(walls):.2f}) | "
              f"{n_train / wall:.0f} | {median(reference, 0) / wall:.2f}x | "
              + ("- | - |" if math.isnan(cpu) else
                 f"{cpu:.2f} | {median(reference, 1) / cpu:.2f}x |"))
    for policy, columns in parts.items():
        walls = statistics.median(wall for wall, _ in columns["clocks"])
        middle = {key: statistics.median(values) for key, values in columns.items()
                  if key != "clocks"}
        print(f"\nuser epoch ({policy}), medians: wall {walls:.2f} s; history.csv: train "
              f"{middle['train_seconds']:.2f} + validation {middle['validation_seconds']:.2f} + "
              f"movie frame {middle['figure_seconds']:.2f} = {middle['seconds']:.2f} s; the rest "
              f"(checkpoint, best checkpoint, TensorBoard, history.csv): "
              f"{walls - middle['seconds']:.2f} s")


def _print_peak_share(args, step_seconds: list[float]) -> None:
    """The float32 matmul peak and the share of it the training step reaches."""
    _configure(args, "float32", 1)
    data, model = experiment.build()
    flops = step_flops(model, data.batch_size)
    steps_per_epoch = math.ceil(data.n_train / data.batch_size)
    reached = flops * steps_per_epoch / min(step_seconds) / 1e9
    peak = matmul_peak(args.matmul)
    print(f"\nmatmul peak (float32, {args.matmul}x{args.matmul}, best of 10): {peak:.0f} "
          f"GFLOP/s; acvae's training step: {flops / 1e9:.2f} GFLOP per step of "
          f"{data.batch_size} images, {reached:.0f} GFLOP/s in the best 'acvae step' epoch: "
          f"{100 * reached / peak:.0f}% of the peak (both best cases: load lowers both)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4, help="timed epochs (after a warm-up)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved repetitions")
    parser.add_argument("--n", type=int, default=400, help="synthetic villagers")
    parser.add_argument("--float32_only", action="store_true", help="no mixed_bfloat16 rows")
    parser.add_argument("--matmul", type=int, default=2048, help="size of the peak's matmul")
    parser.add_argument("--top", type=int, default=12, help="profiled ops shown")
    args = parser.parse_args()
    _, flags = precision.cpu()
    print(f"CPU: {machine.describe()}; load average {machine.load_average():.2f}\n"
          f"Keras {keras.__version__}; {CONFIG}; "
          f"{args.n} synthetic villagers 64x64x4, batch 16, latent 1; median of {args.epochs} "
          f"timed epochs x {args.repeats} interleaved repeats", flush=True)
    policies = ["float32"]
    if flags.intersection(precision.BF16_FLAGS) and not args.float32_only:
        policies.append("mixed_bfloat16")
    seconds, parts = _run_all(args, policies)
    _configure(args, "float32", 1)
    n_train = experiment.build()[0].n_train
    _print_table(seconds, parts, n_train)
    _print_peak_share(args, [wall for wall, _ in seconds[("acvae step", "float32")]])
    profile_epoch(args, args.top)
    print(f"\nload average at the end: {machine.load_average():.2f}")


if __name__ == "__main__":
    main()
