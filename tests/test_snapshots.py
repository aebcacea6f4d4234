"""Tests of lrbook.snapshots.SnapshotEnsemble.

The reference for "the weights at a cycle end" is a plain run that records the weights after
every optimizer step. The file imports nothing backend-specific, and `make unit` runs it under
TensorFlow, JAX and PyTorch (KERAS_BACKEND).
"""

import json

import keras
import numpy as np
import pytest

from lrbook import SGDR, CyclicalLR, SnapshotEnsemble, StepDecay
from lrbook.snapshots import MANIFEST

FEATURES, CLASSES, SAMPLES, BATCH = 6, 3, 40, 8  # 5 steps per epoch
STEPS_PER_EPOCH = SAMPLES // BATCH
# Keras' PyTorch backend refuses steps_per_execution > 1 (it has no compiled multi-step loop).
MULTI_STEP = [] if keras.backend.backend() == "torch" else [3]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    y = rng.integers(0, CLASSES, SAMPLES)
    return x, y


def make_model(seed=0, logits=False, width=12):
    keras.utils.set_random_seed(seed)
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(width, activation="tanh"),
            keras.layers.Dense(CLASSES, activation=None if logits else "softmax"),
        ]
    )


def compile_model(model, rate, steps_per_execution=1, logits=False):
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=rate, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits),
        steps_per_execution=steps_per_execution,
    )
    return model


def train(schedule, data, epochs, steps_per_execution=1, callbacks=(), **model_args):
    model = compile_model(make_model(**model_args), schedule, steps_per_execution)
    x, y = data
    model.fit(x, y, batch_size=BATCH, epochs=epochs, shuffle=False, verbose=0, callbacks=callbacks)
    return model


class EveryStep(keras.callbacks.Callback):
    """The weights after every optimizer step (a run with steps_per_execution=1)."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_train_batch_end(self, batch, logs=None):
        self.weights.append([np.array(w) for w in self.model.get_weights()])


def weights_after_each_step(schedule, data, epochs):
    recorder = EveryStep()
    train(schedule, data, epochs, callbacks=[recorder])
    return recorder.weights


def assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def held_weights(ensemble, index):
    return ensemble.get_weights(index)


# --- when it snapshots ------------------------------------------------------------------------

SCHEDULES = {
    # cycle ends inside epochs (cycles of 7 steps, epochs of 5)
    "sgdr": lambda: SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7),
    "sgdr_t_mul_warmup": lambda: SGDR(
        min_lr=0.001, max_lr=0.1, cycle_length=3, t_mul=1.5, warmup_steps=3
    ),
    "clr": lambda: CyclicalLR(base_lr=0.001, max_lr=0.1, step_size=3, mode="triangular2"),
}


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
def test_snapshots_at_the_cycle_ends_the_schedule_reports(name, steps_per_execution, data):
    epochs = 6
    schedule = SCHEDULES[name]()
    reference = weights_after_each_step(schedule, data, epochs)
    ensemble = SnapshotEnsemble(schedule)
    model = train(schedule, data, epochs, steps_per_execution, callbacks=[ensemble])

    ends = schedule.cycle_ends(epochs * STEPS_PER_EPOCH)
    assert len(ends) >= 3
    assert [s.step for s in ensemble.snapshots] == ends
    assert [s.epoch for s in ensemble.snapshots] == [end // STEPS_PER_EPOCH for end in ends]
    for snapshot in ensemble.snapshots:
        assert snapshot.rate == pytest.approx(float(schedule(snapshot.step)), rel=1e-6)
        assert snapshot.rate == pytest.approx(
            min(float(schedule(s)) for s in range(max(0, snapshot.step - 2), snapshot.step + 1)),
            rel=1e-6,
        )  # the bottom of a cycle
    for index, end in enumerate(ends):
        assert_weights_equal(held_weights(ensemble, index), reference[end])
    # the model is left as it was: its own train step, and a train function Keras made
    assert "train_step" not in vars(model)
    model.fit(*data, batch_size=BATCH, epochs=1, verbose=0)


def test_sgdr_snapshots_are_at_its_minimum_rate(data):
    schedule = SGDR(min_lr=0.002, max_lr=0.1, cycle_length=10)
    ensemble = SnapshotEnsemble(schedule)
    train(schedule, data, epochs=6, callbacks=[ensemble])
    assert [s.rate for s in ensemble.snapshots] == pytest.approx([0.002] * 3, rel=1e-6)


def test_every_epochs_without_a_schedule(data):
    reference = weights_after_each_step(0.05, data, epochs=5)
    ensemble = SnapshotEnsemble(every=2)
    train(0.05, data, epochs=5, callbacks=[ensemble])
    assert [s.epoch for s in ensemble.snapshots] == [1, 3]
    assert [s.step for s in ensemble.snapshots] == [9, 19]
    assert [s.rate for s in ensemble.snapshots] == pytest.approx([0.05, 0.05])
    assert_weights_equal(held_weights(ensemble, 1), reference[19])


@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
def test_resumed_training_continues_the_snapshots(steps_per_execution, data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7)
    reference = weights_after_each_step(schedule, data, epochs=6)
    ensemble = SnapshotEnsemble(schedule)
    model = train(schedule, data, 2, steps_per_execution, callbacks=[ensemble])
    model.fit(
        *data,
        batch_size=BATCH,
        epochs=6,
        initial_epoch=2,
        shuffle=False,
        verbose=0,
        callbacks=[ensemble],
    )
    assert [s.step for s in ensemble.snapshots] == [6, 13, 20, 27]
    assert [s.epoch for s in ensemble.snapshots] == [1, 2, 4, 5]
    for index, step in enumerate([6, 13, 20, 27]):
        assert_weights_equal(held_weights(ensemble, index), reference[step])
    assert "train_step" not in vars(model)


def train_two_networks(schedule, data, steps_per_execution, callbacks):
    """Two networks trained side by side as one model; returns the second one."""
    first, second = make_model(seed=1), make_model(seed=2)
    second.name = "second"
    inputs = keras.Input((FEATURES,))
    both = keras.Model(inputs, [first(inputs), second(inputs)])
    both.compile(
        optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
        loss=["sparse_categorical_crossentropy"] * 2,
        steps_per_execution=steps_per_execution,
    )
    x, y = data
    both.fit(
        x, (y, y), batch_size=BATCH, epochs=4, shuffle=False, verbose=0, callbacks=callbacks(second)
    )
    return second


@pytest.mark.parametrize("steps_per_execution", [1, *MULTI_STEP])
@pytest.mark.parametrize("by_name", [True, False])
def test_a_submodel_is_snapshotted_alone(steps_per_execution, by_name, data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7)
    reference = []

    class RecordSecond(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            reference.append(self.model.get_layer("second").get_weights())

    train_two_networks(schedule, data, 1, lambda second: [RecordSecond()])
    ensembles = []

    def snapshot_second(second):
        ensembles.append(SnapshotEnsemble(schedule, submodel="second" if by_name else second))
        return ensembles

    second = train_two_networks(schedule, data, steps_per_execution, snapshot_second)
    ensemble = ensembles[0]
    assert [s.step for s in ensemble.snapshots] == [6, 13]
    for index, step in enumerate([6, 13]):
        assert_weights_equal(held_weights(ensemble, index), reference[step])
    alone = keras.models.clone_model(second)
    alone.set_weights(ensemble.get_weights(-1))
    np.testing.assert_allclose(
        ensemble.predict(data[0], last=1), alone.predict(data[0], verbose=0), rtol=1e-6
    )


def test_an_unknown_submodel_is_refused(data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7)
    model = compile_model(make_model(), schedule)
    with pytest.raises(ValueError, match="`submodel` must be the name of a layer"):
        model.fit(
            *data,
            batch_size=BATCH,
            epochs=1,
            verbose=0,
            callbacks=[SnapshotEnsemble(schedule, submodel="nowhere")],
        )


@pytest.mark.parametrize("steps_per_execution", MULTI_STEP)
def test_two_callbacks_on_one_model_both_exact_and_the_model_restored(steps_per_execution, data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7)
    reference = weights_after_each_step(schedule, data, epochs=4)
    first, second = SnapshotEnsemble(schedule), SnapshotEnsemble(schedule, keep=1)
    model = train(schedule, data, 4, steps_per_execution, callbacks=[first, second])
    assert [s.step for s in first.snapshots] == [6, 13]
    for index, step in enumerate([6, 13]):
        assert_weights_equal(held_weights(first, index), reference[step])
    assert_weights_equal(held_weights(second, 0), reference[13])
    assert "train_step" not in vars(model)
    assert not any("lrbook" in name for name in vars(model))
    assert not any("lrbook" in metric.name for metric in model.metrics)  # JAX's state carrier


class Interrupt(Exception):
    pass


class InterruptAt(keras.callbacks.Callback):
    def __init__(self, batch):
        super().__init__()
        self.at = batch

    def on_train_batch_end(self, batch, logs=None):
        if batch >= self.at:
            raise Interrupt


@pytest.mark.parametrize("steps_per_execution", MULTI_STEP)
def test_a_fit_interrupted_mid_training_is_undone_by_the_next(steps_per_execution, data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=7)
    ensemble = SnapshotEnsemble(schedule)
    model = compile_model(make_model(), schedule, steps_per_execution)
    x, y = data
    with pytest.raises(Interrupt):
        model.fit(
            x,
            y,
            batch_size=BATCH,
            epochs=4,
            shuffle=False,
            verbose=0,
            callbacks=[ensemble, InterruptAt(2)],
        )
    assert "train_step" in vars(model)  # left wrapped: Keras calls no on_train_end
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=[ensemble])
    assert "train_step" not in vars(model)
    assert not any("lrbook" in name for name in vars(model))


def test_cycle_ends_of_cyclical_lr_are_its_minima():
    schedule = CyclicalLR(base_lr=0.01, max_lr=0.1, step_size=4)
    ends = schedule.cycle_ends(40)
    assert ends == [8, 16, 24, 32]
    rates = np.asarray(schedule(np.arange(40)))
    assert np.all(rates[ends] == np.float32(0.01))


# --- what you get back --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def trained(data):
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=10)
    ensemble = SnapshotEnsemble(schedule)
    model = train(schedule, data, epochs=8, callbacks=[ensemble])
    return model, ensemble


def probabilities_by_hand(model, weights, x, logits=False):
    member = keras.models.clone_model(model)
    member.set_weights(weights)
    scores = np.asarray(member.predict(x, verbose=0), "float64")
    if logits:
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        scores /= scores.sum(axis=1, keepdims=True)
    return scores


def test_predict_is_the_mean_of_the_snapshots_probabilities(trained, data):
    model, ensemble = trained
    x, _ = data
    assert len(ensemble) == 4
    each = [probabilities_by_hand(model, held_weights(ensemble, i), x) for i in range(4)]
    np.testing.assert_allclose(ensemble.predict(x), np.mean(each, axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        ensemble.predict(x, last=2), np.mean(each[2:], axis=0), rtol=1e-5, atol=1e-7
    )
    np.testing.assert_allclose(ensemble.predict(x, last=1), each[3], rtol=1e-5, atol=1e-7)


def test_evaluate_scores_the_last_m_snapshots(trained, data):
    _, ensemble = trained
    x, y = data
    accuracies = ensemble.evaluate(x, y)
    assert accuracies.shape == (4,)
    for m in range(1, 5):
        expected = np.mean(np.argmax(ensemble.predict(x, last=m), axis=1) == y)
        assert accuracies[m - 1] == expected
    one_hot = np.eye(CLASSES)[y]
    np.testing.assert_array_equal(ensemble.evaluate(x, one_hot), accuracies)


@pytest.mark.parametrize("stated", [None, True])
def test_logits_are_turned_into_probabilities(stated, data):
    x, y = data
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=10)
    ensemble = SnapshotEnsemble(schedule, from_logits=stated)
    model = compile_model(make_model(logits=True), schedule, logits=True)
    model.fit(x, y, batch_size=BATCH, epochs=4, shuffle=False, verbose=0, callbacks=[ensemble])
    assert ensemble.from_logits is True
    each = [
        probabilities_by_hand(model, held_weights(ensemble, i), x, logits=True) for i in range(2)
    ]
    predicted = ensemble.predict(x)
    np.testing.assert_allclose(predicted.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(predicted, np.mean(each, axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(
        ensemble.to_model().predict(x, verbose=0), predicted, rtol=1e-5, atol=1e-6
    )


def test_logits_detected_from_the_outputs_of_an_uncompiled_template(data, tmp_path):
    x, y = data
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=10)
    ensemble = SnapshotEnsemble(schedule, directory=tmp_path)
    model = compile_model(make_model(logits=True), schedule, logits=True)
    model.fit(x, y, batch_size=BATCH, epochs=2, verbose=0, callbacks=[ensemble])
    template = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(12, activation="tanh"),
            keras.layers.Dense(CLASSES),
            keras.layers.Activation("linear"),
        ]
    )  # no loss, and a last layer that says nothing: the outputs decide
    loaded = SnapshotEnsemble.load(tmp_path, template)
    np.testing.assert_allclose(loaded.predict(x), ensemble.predict(x), rtol=1e-6)


def test_to_model_predicts_like_predict_and_saves_as_one_file(trained, data, tmp_path):
    _, ensemble = trained
    x, _ = data
    combined = ensemble.to_model()
    np.testing.assert_allclose(
        combined.predict(x, verbose=0), ensemble.predict(x), rtol=1e-5, atol=1e-6
    )
    path = tmp_path / "ensemble.keras"
    combined.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        reloaded.predict(x, verbose=0), ensemble.predict(x), rtol=1e-5, atol=1e-6
    )
    np.testing.assert_allclose(
        ensemble.to_model(last=2).predict(x, verbose=0),
        ensemble.predict(x, last=2),
        rtol=1e-5,
        atol=1e-6,
    )


def test_keep_drops_the_oldest(data):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    everything = SnapshotEnsemble(schedule)
    kept = SnapshotEnsemble(schedule, keep=2)
    train(schedule, data, epochs=5, callbacks=[everything, kept])
    assert [s.step for s in everything.snapshots] == [4, 9, 14, 19, 24]
    assert [s.step for s in kept.snapshots] == [19, 24]
    assert_weights_equal(held_weights(kept, 0), held_weights(everything, 3))


# --- on disk ------------------------------------------------------------------------------------


def variables_of(model):
    return [np.array(v) for v in model.variables + model.optimizer.variables]


def test_snapshots_on_disk_reload_and_predict_identically(data, tmp_path):
    x, _ = data
    schedule = SGDR(min_lr=0.0, max_lr=0.2, cycle_length=10)
    in_memory = SnapshotEnsemble(schedule)
    on_disk = SnapshotEnsemble(schedule, directory=tmp_path / "run")
    train(schedule, data, epochs=6, callbacks=[in_memory, on_disk])
    files = sorted(p.name for p in (tmp_path / "run").iterdir())
    assert files == [MANIFEST] + [f"step-{s:010d}.weights.h5" for s in (9, 19, 29)]
    assert on_disk.snapshots == [
        type(s)(s.step, s.epoch, s.rate, f"step-{s.step:010d}.weights.h5")
        for s in in_memory.snapshots
    ]
    template = compile_model(make_model(seed=5), schedule)
    template.fit(*data, batch_size=BATCH, epochs=1, verbose=0)
    before = variables_of(template)
    loaded = SnapshotEnsemble.load(tmp_path / "run", template)
    assert [s.step for s in loaded.snapshots] == [9, 19, 29]
    np.testing.assert_array_equal(loaded.predict(x), in_memory.predict(x))
    np.testing.assert_array_equal(loaded.evaluate(x, data[1]), in_memory.evaluate(x, data[1]))
    loaded.to_model()
    after = variables_of(template)
    assert len(after) == len(before)
    for a, b in zip(after, before, strict=True):
        np.testing.assert_array_equal(a, b)  # the template is untouched, optimizer included


def test_keep_removes_dropped_files(data, tmp_path):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    ensemble = SnapshotEnsemble(schedule, directory=tmp_path, keep=2)
    train(schedule, data, epochs=4, callbacks=[ensemble])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [MANIFEST, "step-0000000014.weights.h5", "step-0000000019.weights.h5"]
    listed = json.loads((tmp_path / MANIFEST).read_text())["snapshots"]
    assert [s["step"] for s in listed] == [14, 19]


class CrashMidWrite(Exception):
    pass


def test_a_crash_while_writing_keeps_the_earlier_snapshots(data, tmp_path, monkeypatch):
    x, _ = data
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    in_memory = SnapshotEnsemble(schedule)
    on_disk = SnapshotEnsemble(schedule, directory=tmp_path)
    real_save = keras.Model.save_weights
    calls = []

    def save_then_crash(model, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 3:  # the third snapshot: half a file, then the process dies
            with open(filepath, "wb") as file:
                file.write(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
            raise CrashMidWrite
        return real_save(model, filepath, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "save_weights", save_then_crash)
    with pytest.raises(CrashMidWrite):
        train(schedule, data, epochs=4, callbacks=[on_disk, in_memory])
    monkeypatch.undo()

    assert len(in_memory) == 2  # the crash came before it saw the third snapshot
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name]  # the half-written file
    loaded = SnapshotEnsemble.load(tmp_path, make_model())
    assert [s.step for s in loaded.snapshots] == [4, 9]
    np.testing.assert_array_equal(loaded.predict(x), in_memory.predict(x))


def test_a_crash_while_writing_the_list_keeps_the_old_list(data, tmp_path, monkeypatch):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    ensemble = SnapshotEnsemble(schedule, directory=tmp_path)
    import lrbook.snapshots as snapshots

    real_replace = snapshots.os.replace
    calls = []

    def replace_then_crash(source, target):
        calls.append(target)
        if str(target).endswith(MANIFEST) and len(calls) >= 4:  # the second snapshot's list
            raise CrashMidWrite
        return real_replace(source, target)

    monkeypatch.setattr(snapshots.os, "replace", replace_then_crash)
    with pytest.raises(CrashMidWrite):
        train(schedule, data, epochs=4, callbacks=[ensemble])
    monkeypatch.undo()
    loaded = SnapshotEnsemble.load(tmp_path, make_model())
    assert [s.step for s in loaded.snapshots] == [4]
    assert loaded.predict(data[0]).shape == (SAMPLES, CLASSES)


def test_training_into_a_directory_continues_it(data, tmp_path):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    model = train(
        schedule, data, epochs=2, callbacks=[SnapshotEnsemble(schedule, directory=tmp_path)]
    )
    model.fit(
        *data,
        batch_size=BATCH,
        epochs=4,
        initial_epoch=2,
        verbose=0,
        callbacks=[SnapshotEnsemble(schedule, directory=tmp_path)],
    )
    assert [s.step for s in SnapshotEnsemble.load(tmp_path, model).snapshots] == [4, 9, 14, 19]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "`schedule` must be given, or else `every`"),
        ({"schedule": SGDR(0.0, 0.1, 5), "every": 2}, "not both"),
        ({"schedule": StepDecay(0.1, 0.5, 10)}, "a schedule with cycles"),
        (
            {"schedule": keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)},
            "a schedule with cycles",
        ),
        ({"every": 0}, "`every` must be an integer >= 1; got every=0"),
        ({"every": 2, "keep": 0}, "`keep` must be an integer >= 1; got keep=0"),
        ({"every": 2, "from_logits": "yes"}, "`from_logits` must be None or a bool"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        SnapshotEnsemble(**kwargs)


def test_predict_before_any_snapshot_is_refused(data):
    ensemble = SnapshotEnsemble(every=10)
    with pytest.raises(ValueError, match="snapshots.*taken before predicting"):
        ensemble.predict(data[0])
    train(0.05, data, epochs=2, callbacks=[ensemble])
    with pytest.raises(ValueError, match="snapshots.*taken before predicting"):
        ensemble.evaluate(*data)


def test_get_weights_loads_a_snapshot_into_a_model(trained, data):
    model, ensemble = trained
    member = keras.models.clone_model(model)
    member.set_weights(ensemble.get_weights(-1))
    np.testing.assert_allclose(
        member.predict(data[0], verbose=0), ensemble.predict(data[0], last=1), rtol=1e-6
    )
    with pytest.raises(ValueError, match="`index` must be an index of one of the 4 snapshots"):
        ensemble.get_weights(4)


def test_last_out_of_range_is_refused(trained, data):
    _, ensemble = trained
    with pytest.raises(ValueError, match="`last` must be at most 4"):
        ensemble.predict(data[0], last=5)
    with pytest.raises(ValueError, match="`last` must be an integer >= 1"):
        ensemble.predict(data[0], last=0)


def test_a_directory_of_another_architecture_is_refused(data, tmp_path):
    schedule = SGDR(min_lr=0.0, max_lr=0.1, cycle_length=5)
    train(schedule, data, epochs=1, callbacks=[SnapshotEnsemble(schedule, directory=tmp_path)])
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ValueError, match="`directory` must be .*architecture"):
        SnapshotEnsemble.load(tmp_path, make_model(width=7))
    wider = compile_model(make_model(width=7), schedule)
    with pytest.raises(ValueError, match="`directory` must be .*architecture"):
        wider.fit(
            *data,
            batch_size=BATCH,
            epochs=1,
            verbose=0,
            callbacks=[SnapshotEnsemble(schedule, directory=tmp_path)],
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_directory_without_snapshots_is_refused(tmp_path):
    with pytest.raises(ValueError, match="a directory that holds snapshots"):
        SnapshotEnsemble.load(tmp_path, make_model())


def test_a_schedule_the_optimizer_does_not_use_is_refused(data):
    used, other = SGDR(0.0, 0.1, 5), SGDR(0.0, 0.1, 7)
    model = compile_model(make_model(), used)
    before = variables_of(model) if model.optimizer.built else None
    with pytest.raises(ValueError, match="the schedule the optimizer trains with"):
        model.fit(*data, batch_size=BATCH, epochs=1, verbose=0, callbacks=[SnapshotEnsemble(other)])
    assert before is None or all(
        np.array_equal(a, b) for a, b in zip(before, variables_of(model), strict=True)
    )


@pytest.mark.parametrize("steps_per_execution", MULTI_STEP)
def test_cycles_shorter_than_an_execution_are_refused(steps_per_execution, data):
    schedule = SGDR(0.0, 0.1, cycle_length=3)
    model = compile_model(make_model(), schedule, steps_per_execution=steps_per_execution + 1)
    with pytest.raises(ValueError, match="cycles of at least steps_per_execution=4"):
        model.fit(
            *data, batch_size=BATCH, epochs=1, verbose=0, callbacks=[SnapshotEnsemble(schedule)]
        )
    assert "train_step" not in vars(model)


@pytest.mark.skipif(
    keras.backend.backend() != "torch", reason="only Keras' PyTorch backend refuses it"
)
def test_steps_per_execution_above_1_is_refused_on_torch(data):
    schedule = SGDR(0.0, 0.1, cycle_length=7)
    model = compile_model(make_model(), schedule, steps_per_execution=3)
    with pytest.raises(
        ValueError,
        match=r"SnapshotEnsemble: `model.steps_per_execution` must be 1 on the PyTorch backend",
    ):
        model.fit(
            *data, batch_size=BATCH, epochs=1, verbose=0, callbacks=[SnapshotEnsemble(schedule)]
        )
    assert model.train_function is None
