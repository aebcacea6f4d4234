"""Snapshot ensembles (Huang et al., 2017): train once, keep a model at the end of every cycle.

A cyclical schedule (``SGDR``, ``CyclicalLR``) brings the rate down to its minimum at the end
of each cycle, where the network settles into a minimum of the loss; the next cycle raises the
rate and moves it on to another. :class:`SnapshotEnsemble` copies the weights at each of those
cycle ends, ``w_1, ..., w_M``, and predicts with the mean of their class probabilities,

```python
p(y | x) = (p(y | x; w_{M-m+1}) + ... + p(y | x; w_M)) / m      # the last m snapshots
```

so one training run gives M models for the cost of one.

When it snapshots. With a schedule, at the steps ``schedule.cycle_ends(...)`` reports: the weights
after the update of that step. It watches ``optimizer.iterations``, so a cycle end inside an
epoch is caught, and with ``steps_per_execution=N`` (where Keras runs N steps before a callback
sees them) the copy is made inside the compiled train step, on the step it belongs to. Without a
schedule, every ``every`` epochs.

Backends. TensorFlow, JAX and PyTorch. On JAX, whose train step is a pure function of the state
``fit`` passes it, the copy's buffers travel with that state while the callback trains, and the
weights are read from it (:mod:`lrbook.backends`). PyTorch runs one step per call:
``steps_per_execution`` must be 1 there (refused up front).

Where snapshots live. In memory (NumPy copies), or in ``directory`` as Keras weight files
(``step-0000001250.weights.h5``) listed in ``snapshots.json``. Each file is written under a
temporary name and renamed, and the list is replaced the same way after it, so a crash leaves
every earlier snapshot loadable. :meth:`SnapshotEnsemble.load` reads them back.

The user's model is never changed: predictions run on a clone of it (``keras.models.clone_model``,
so a subclassed model needs ``get_config``), and the train step is put back after ``fit``.
The model must have a single output of class scores: probabilities (softmax, or sigmoid for one
unit) or logits (detected, or stated with ``from_logits``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from keras import ops

from lrbook.backends import (
    assign_during_fit,
    attach_to_metrics,
    check_multi_step,
    current_values,
    detach_from_metrics,
    is_jax,
    stateless_step,
)
from lrbook.checks import check_int, require
from lrbook.distribute import check_mirrored_steps, variable_scope
from lrbook.model_state import rate_owner

__all__ = ["Snapshot", "SnapshotEnsemble"]

MANIFEST = "snapshots.json"
FORMAT = "lrbook.SnapshotEnsemble/1"
NO_MORE_ENDS = 2**62  # a step no training reaches
PREDICT_BATCH = 1024  # rows per predict_on_batch call


@dataclass(frozen=True)
class Snapshot:
    r"""One snapshot: the weights after the update of optimizer step ``step`` (counted from 0).

    :class:`SnapshotEnsemble` keeps one at the last step :math:`t` of every cycle, where the
    rate is the cycle's minimum: snapshot :math:`w_i` of the ensemble is the weights after the
    update of step :math:`t`, so ``optimizer.iterations`` :math:`= t + 1` then, and ``rate``
    is :math:`\eta_t`.

    >>> schedule = lrbook.SGDR(min_lr=0.0, max_lr=0.1, cycle_length=16)
    >>> end = schedule.cycle_ends(32)[0]
    >>> lrbook.Snapshot(step=end, epoch=0, rate=float(schedule(end)))
    Snapshot(step=15, epoch=0, rate=0.0, file=None)

    Attributes:
        step: the step whose update the weights include (``optimizer.iterations == step + 1``).
        epoch: the epoch (counted from 0, as Keras counts) in which that step ran.
        rate: the learning rate that step used.
        file: the weight file's name in the directory, or ``None`` when held in memory.
    """

    step: int
    epoch: int
    rate: float
    file: str | None = None


class SnapshotEnsemble(keras.callbacks.Callback):
    r"""A callback that keeps the weights at the end of every cycle, and predicts with their mean.

    A run of :math:`M` cycles leaves :math:`M` snapshots :math:`w_1, \dots, w_M`; the ensemble
    of the last :math:`m` of them predicts with the mean of their class probabilities,

    .. math::

        p_{\text{ens}}(y \mid x) = \frac{1}{m} \sum_{i = M - m + 1}^{M} p(y \mid x;\, w_i).

    Three cycles of 16 steps, one epoch each, give three snapshots (the examples of the methods
    continue this one):

    >>> keras.utils.set_random_seed(0)
    >>> x = np.random.default_rng(0).normal(size=(256, 8)).astype("float32")
    >>> y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, activation="softmax")])
    >>> schedule = lrbook.SGDR(min_lr=0.0, max_lr=0.5, cycle_length=16)
    >>> model.compile(optimizer=keras.optimizers.SGD(schedule),
    ...               loss="sparse_categorical_crossentropy")
    >>> snapshots = lrbook.SnapshotEnsemble(schedule)
    >>> history = model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=[snapshots])
    >>> [snapshot.step for snapshot in snapshots.snapshots]
    [15, 31, 47]

    In training::

        schedule = lrbook.SGDR(min_lr=0.0, max_lr=0.05, cycle_length=10 * steps_per_epoch)
        model.compile(optimizer=keras.optimizers.SGD(schedule, momentum=0.9), ...)
        snapshots = lrbook.SnapshotEnsemble(schedule)
        model.fit(x_train, y_train, epochs=50, callbacks=[snapshots])  # 5 cycles: 5 snapshots
        snapshots.predict(x_test)            # mean class probabilities of the 5 snapshots
        snapshots.evaluate(x_test, y_test)   # accuracy of the last m = 1..5 snapshots together
        snapshots.to_model().save("ensemble.keras")

    Args:
        schedule: the cyclical schedule the optimizer trains with (an object with
            ``cycle_ends(num_steps)``, such as ``SGDR`` or ``CyclicalLR``); a snapshot is taken
            after the last step of each cycle.
        every: without a schedule, take a snapshot every ``every`` epochs (an integer >= 1).
        directory: keep the snapshots as weight files here instead of in memory. A directory
            that already holds snapshots of the same architecture is continued; those from
            steps the training has not reached yet (a run restarted from an earlier point) are
            replaced.
        keep: keep at most this many snapshots (>= 1), dropping the oldest, also from disk.
            ``None`` keeps all.
        from_logits: whether the model outputs logits (softmax, or sigmoid for one output
            unit, is then applied before averaging). ``None``: read it from the compiled loss
            if that has a ``from_logits`` attribute, else from the outputs themselves (rows of
            non-negative numbers summing to 1 are probabilities).
        submodel: keep the weights of this part of the model being trained instead of the
            whole: a nested model, given by its layer name or as the object (for example one
            network of several trained side by side as one model).
    """

    def __init__(
        self,
        schedule: Any = None,
        every: int | None = None,
        directory: str | os.PathLike | None = None,
        keep: int | None = None,
        from_logits: bool | None = None,
        submodel: str | keras.Model | None = None,
    ):
        super().__init__()
        owner = "SnapshotEnsemble"
        require(
            owner,
            "schedule",
            schedule,
            (schedule is None) != (every is None),
            "given, or else `every` (one of the two, not both)",
        )
        if schedule is not None:
            require(
                owner,
                "schedule",
                schedule,
                callable(getattr(schedule, "cycle_ends", None)),
                "a schedule with cycles, one that has a `cycle_ends(num_steps)` method "
                "(SGDR, CyclicalLR)",
            )
        self.schedule = schedule
        self.every = None if every is None else check_int(owner, "every", every, minimum=1)
        self.keep = None if keep is None else check_int(owner, "keep", keep, minimum=1)
        require(
            owner, "from_logits", from_logits, from_logits in (None, True, False), "None or a bool"
        )
        self.from_logits = from_logits
        require(
            owner,
            "submodel",
            submodel,
            submodel is None or isinstance(submodel, (str, keras.Model)),
            "None, a layer name or a keras.Model",
        )
        self.submodel = submodel
        self.directory = None if directory is None else Path(directory)
        self._records: list[Snapshot] = []
        self._weights: list[list[np.ndarray] | None] = []
        self._architecture: list | None = None
        self._template: keras.Model | None = None
        self._clone: keras.Model | None = None
        self._capture: _InGraphCapture | None = None
        self._hook: _TrainStepHook | None = None
        self._ends = _CycleEnds(schedule) if schedule is not None else None
        self._epoch = 0
        if self.directory is not None:
            self._read_directory()

    # --- what was taken ---------------------------------------------------------------------

    @property
    def snapshots(self) -> list[Snapshot]:
        """The snapshots held, oldest first, as a list of :class:`Snapshot`.

        >>> snapshots.snapshots[0]
        Snapshot(step=15, epoch=0, rate=0.0, file=None)
        """
        return list(self._records)

    def __len__(self) -> int:
        return len(self._records)

    # --- training ---------------------------------------------------------------------------

    def on_train_begin(self, logs=None):
        model = self.model
        network = self._network(model)
        owner = "SnapshotEnsemble"
        require(
            owner,
            "submodel" if self.submodel is not None else "model",
            network.name,
            len(getattr(network, "outputs", None) or [None]) == 1,
            "a model with a single output (class scores)",
        )
        self._check_architecture(_architecture(network))
        check_mirrored_steps(owner, model)
        check_multi_step(owner, model)
        start = self._steps_done()
        steps_per_execution = int(getattr(model, "steps_per_execution", 1) or 1)
        if self.schedule is not None:
            self._check_schedule_is_used(model)
            self._ends.start_at(start)
            if steps_per_execution > 1:
                self._ends.check_cycles_at_least(steps_per_execution)
        # every check passed: nothing was changed before this line
        self._architecture = _architecture(network)
        self._template = network
        if self.from_logits is None:
            self.from_logits = _model_outputs_logits(network)
        self._drop_from_step(start)
        if self.schedule is not None and steps_per_execution > 1:
            if self._capture is None or not self._capture.fits(model, network):
                self._capture = _InGraphCapture(model, network)
            self._capture.target(self._ends.next_end())
            self._hook = _TrainStepHook.attach(model, self._capture)

    def _network(self, model: keras.Model) -> keras.Model:
        """The network whose weights are kept: the model trained, or the submodel named."""
        if self.submodel is None:
            return model
        if not isinstance(self.submodel, str):
            return self.submodel
        names = [layer.name for layer in model.layers]
        require(
            "SnapshotEnsemble",
            "submodel",
            self.submodel,
            self.submodel in names,
            f"the name of a layer of model {model.name!r} (one of {names})",
        )
        return model.get_layer(self.submodel)

    def set_model(self, model):
        super().set_model(model)
        # fit calls this before it builds its train function, where Keras' PyTorch backend
        # refuses steps_per_execution > 1 with a message that does not name this callback
        check_multi_step("SnapshotEnsemble", model)

    def _steps_done(self) -> int:
        """The optimizer's step counter (also during a JAX ``fit``: :mod:`lrbook.backends`)."""
        iterations = rate_owner(self.model.optimizer).iterations
        return int(current_values(self.model, [iterations])[0])

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.schedule is None:
            return
        if self._hook is not None:
            self._hook.running = True
        done = self._steps_done()  # steps run so far
        while self._ends.next_end() < done:
            end = self._ends.pop()
            if end + 1 == done:  # the block stopped right after the cycle end
                weights = current_values(self.model, self._template.weights)
            else:  # the cycle ended inside the block: the train step copied it
                weights = self._capture.read()
            self._add(weights, end, float(self.schedule(end)))
            if self._hook is not None:
                self._capture.target(self._ends.next_end())

    def on_epoch_end(self, epoch, logs=None):
        if self.every is None or (epoch + 1) % self.every:
            return
        optimizer = rate_owner(self.model.optimizer)
        step = self._steps_done() - 1
        weights = current_values(self.model, self._template.weights)
        self._add(weights, step, _rate_at(optimizer, step))

    def on_train_end(self, logs=None):
        if self._hook is not None:
            self._hook.detach(self._capture)
            self._hook = None

    def _check_schedule_is_used(self, model: keras.Model) -> None:
        used = rate_owner(model.optimizer)._learning_rate
        same = used is self.schedule or (
            type(used) is type(self.schedule) and used.get_config() == self.schedule.get_config()
        )
        require(
            "SnapshotEnsemble",
            "schedule",
            self.schedule,
            same,
            f"the schedule the optimizer trains with (model.optimizer uses {used!r})",
        )

    # --- storing ----------------------------------------------------------------------------

    def _add(self, weights: list[np.ndarray], step: int, rate: float) -> None:
        on_disk = self.directory is not None
        record = Snapshot(
            step, self._epoch, rate, f"step-{step:010d}.weights.h5" if on_disk else None
        )
        if on_disk:
            self._write_weights(weights, record.file)  # the file first, then the list
        self._records.append(record)
        self._weights.append(None if on_disk else weights)
        if on_disk:
            self._write_manifest()
        if self.keep is not None and len(self._records) > self.keep:
            self._drop(range(len(self._records) - self.keep))

    def _drop_from_step(self, start: int) -> None:
        """Forget snapshots of steps >= ``start``: training is about to take them again."""
        self._drop([i for i, record in enumerate(self._records) if record.step >= start])

    def _drop(self, indices) -> None:
        indices = set(indices)
        if not indices:
            return
        dropped = [self._records[i] for i in indices]
        self._records = [r for i, r in enumerate(self._records) if i not in indices]
        self._weights = [w for i, w in enumerate(self._weights) if i not in indices]
        if self.directory is not None:
            self._write_manifest()  # the list first: a crash now leaves at most a stray file
            for record in dropped:
                (self.directory / record.file).unlink(missing_ok=True)

    def _write_weights(self, weights: list[np.ndarray], name: str) -> None:
        clone = self._clone_with(weights)
        self.directory.mkdir(parents=True, exist_ok=True)
        temporary = self.directory / f".{name}.partial.weights.h5"
        clone.save_weights(temporary)
        os.replace(temporary, self.directory / name)

    def _write_manifest(self) -> None:
        manifest = {
            "format": FORMAT,
            "architecture": self._architecture,
            "from_logits": self.from_logits,
            "snapshots": [asdict(record) for record in self._records],
        }
        temporary = self.directory / f".{MANIFEST}.partial"
        with open(temporary, "w") as file:
            json.dump(manifest, file, indent=1)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.directory / MANIFEST)

    def _read_directory(self) -> None:
        path = self.directory / MANIFEST
        if not path.exists():
            return
        with open(path) as file:
            manifest = json.load(file)
        require(
            "SnapshotEnsemble",
            "directory",
            str(self.directory),
            manifest.get("format") == FORMAT,
            f"a directory of SnapshotEnsemble snapshots ({MANIFEST} has another format)",
        )
        self._architecture = manifest["architecture"]
        if self.from_logits is None:
            self.from_logits = manifest["from_logits"]
        self._records = [Snapshot(**record) for record in manifest["snapshots"]]
        self._weights = [None] * len(self._records)

    def _check_architecture(self, architecture: list) -> None:
        """Refuse a model whose weights differ in shape or dtype from the snapshots held."""
        if self._architecture is None:
            return
        require(
            "SnapshotEnsemble",
            "directory" if self.directory is not None else "model",
            str(self.directory) if self.directory is not None else "a model",
            self._architecture == architecture,
            "snapshots of this model's architecture (the weights' shapes and dtypes differ: "
            f"{_describe(self._architecture)} held, {_describe(architecture)} in the model)",
        )

    # --- predicting -------------------------------------------------------------------------

    @classmethod
    def load(
        cls,
        directory: str | os.PathLike,
        model: keras.Model,
        from_logits: bool | None = None,
    ) -> SnapshotEnsemble:
        """The snapshots saved in ``directory``, ready to predict.

        ``model`` is only a template for the architecture (it is cloned; its weights and
        optimizer are left exactly as they were). Its weights must have the shapes and dtypes
        of the saved ones.

        >>> import shutil, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> on_disk = lrbook.SnapshotEnsemble(schedule, directory=folder)
        >>> history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[on_disk])
        >>> loaded = lrbook.SnapshotEnsemble.load(folder, model)
        >>> [snapshot.step for snapshot in loaded.snapshots]  # training went on from step 48
        [63, 79]
        >>> shutil.rmtree(folder)
        """
        path = Path(directory)
        require(
            "SnapshotEnsemble.load",
            "directory",
            str(directory),
            (path / MANIFEST).exists(),
            f"a directory that holds snapshots (it has no {MANIFEST})",
        )
        ensemble = cls(every=1, directory=path, from_logits=from_logits)
        ensemble.every = None
        ensemble._check_architecture(_architecture(model))
        ensemble._template = model
        return ensemble

    def predict(self, x, last: int | None = None, batch_size: int | None = None) -> np.ndarray:
        r"""The mean of the class probabilities of the last ``last`` snapshots (all by default).

        With :math:`m` = ``last`` of :math:`M` snapshots, row :math:`k` is
        :math:`p_{\text{ens}}(\cdot \mid x_k) = \frac{1}{m} \sum_{i = M - m + 1}^{M}
        p(\cdot \mid x_k;\, w_i)`, as float32.

        >>> probabilities = snapshots.predict(x)
        >>> probabilities.shape
        (256, 2)
        >>> bool(np.allclose(probabilities.sum(axis=1), 1.0))
        True
        """
        probabilities = self._probabilities(x, self._chosen(last), batch_size)
        return np.mean(probabilities, axis=0).astype("float32")

    def evaluate(self, x, y, batch_size: int | None = None) -> np.ndarray:
        r"""Accuracy of the ensemble of the last ``m`` snapshots, for ``m = 1, ..., M``.

        Element ``m - 1`` scores the mean probabilities of snapshots ``M - m + 1 .. M``: the
        fraction of rows :math:`k` with :math:`\arg\max_y p_{\text{ens}}(y \mid x_k) = y_k`.
        ``y`` holds class indices, or one-hot rows.

        >>> snapshots.evaluate(x, y).shape  # m = 1, 2, 3
        (3,)
        """
        probabilities = self._probabilities(x, self._chosen(None), batch_size)
        labels = _labels(np.asarray(y), probabilities.shape[-1])
        newest_first = probabilities[::-1]
        means = np.cumsum(newest_first, axis=0) / np.arange(1, len(newest_first) + 1)[:, None, None]
        return np.array([np.mean(_classes(mean) == labels) for mean in means])

    def to_model(self, last: int | None = None) -> keras.Model:
        """One Keras model that averages the class probabilities of the last ``last`` snapshots.

        It holds a copy of the network per snapshot; save it as one ``.keras`` file. The
        template must be a functional or Sequential model (one with ``inputs``).

        >>> ensemble = snapshots.to_model()
        >>> together = ensemble.predict(x, verbose=0)
        >>> bool(np.allclose(together, snapshots.predict(x), atol=1e-6))
        True
        """
        chosen = self._chosen(last)
        template = self._template
        require(
            "SnapshotEnsemble.to_model",
            "model",
            getattr(template, "name", None),
            bool(getattr(template, "inputs", None)),
            "a functional or Sequential model (one with `inputs`)",
        )
        from_logits = self._decide_logits(None)
        inputs = [keras.Input(shape=t.shape[1:], dtype=t.dtype) for t in template.inputs]
        outputs = []
        for index in chosen:
            member = keras.models.clone_model(template)
            member.name = f"snapshot_{index}"
            member.set_weights(self.get_weights(index))
            output = member(inputs if len(inputs) > 1 else inputs[0])
            if from_logits:
                output = keras.layers.Activation(_squash(output.shape[-1]))(output)
            outputs.append(output)
        mean = outputs[0] if len(outputs) == 1 else keras.layers.Average()(outputs)
        return keras.Model(inputs, mean, name="snapshot_ensemble")

    def _chosen(self, last: int | None) -> list[int]:
        count = len(self._records)
        require(
            "SnapshotEnsemble",
            "snapshots",
            count,
            count > 0,
            "taken before predicting (train with the callback, or load a directory)",
        )
        if last is None:
            return list(range(count))
        last = check_int("SnapshotEnsemble", "last", last, minimum=1)
        require(
            "SnapshotEnsemble", "last", last, last <= count, f"at most {count}, the snapshots held"
        )
        return list(range(count - last, count))

    def _probabilities(self, x, chosen: Sequence[int], batch_size: int | None) -> np.ndarray:
        """Class probabilities of each chosen snapshot: shape (snapshots, examples, classes)."""
        result = []
        for index in chosen:
            clone = self._clone_holding(index)
            scores = np.asarray(_predict(clone, x, batch_size), "float64")
            result.append(_to_probabilities(scores, self._decide_logits(scores)))
        return np.stack(result)

    def _decide_logits(self, scores: np.ndarray | None) -> bool:
        """Whether the outputs are logits: as stated, else from the model, else from ``scores``."""
        if self.from_logits is None:
            self.from_logits = _model_outputs_logits(self._template)
        if self.from_logits is None and scores is not None:
            self.from_logits = not _look_like_probabilities(scores)
        require(
            "SnapshotEnsemble",
            "from_logits",
            self.from_logits,
            self.from_logits is not None,
            "given: the model does not show whether it outputs logits or probabilities",
        )
        return self.from_logits

    def get_weights(self, index: int) -> list[np.ndarray]:
        """The weights of snapshot ``index`` (0 is the oldest held), as ``model.get_weights()``
        orders them: ``model.set_weights(snapshots.get_weights(-1))`` loads the last one.

        >>> last = snapshots.get_weights(-1)
        >>> [w.shape for w in last]  # kernel and bias of the Dense layer
        [(8, 2), (2,)]
        """
        count = len(self._records)
        require(
            "SnapshotEnsemble.get_weights",
            "index",
            index,
            isinstance(index, int) and -count <= index < count,
            f"an index of one of the {count} snapshots held",
        )
        index %= count
        weights = self._weights[index]
        return weights if weights is not None else _values(self._clone_holding(index).weights)

    def _clone_holding(self, index: int) -> keras.Model:
        """The private clone, holding snapshot ``index`` (from memory, or from its file)."""
        weights = self._weights[index]
        if weights is not None:
            return self._clone_with(weights)
        clone = self._clone_with(None)
        clone.load_weights(self.directory / self._records[index].file)
        return clone

    def _clone_with(self, weights: list[np.ndarray] | None) -> keras.Model:
        """The private clone of the template that predicts and writes files."""
        if self._clone is None:
            self._clone = keras.models.clone_model(self._template)
        if weights is not None:
            self._clone.set_weights(weights)
        return self._clone


# --- where the cycles end ---------------------------------------------------------------------


class _CycleEnds:
    """The schedule's cycle ends from a start step on, asked for in growing stretches."""

    def __init__(self, schedule: Any):
        self.schedule = schedule
        self.horizon = 0
        self.ends: list[int] = []

    def start_at(self, start: int) -> None:
        self.horizon = max(2 * start, 1024)
        self.ends = [end for end in self.schedule.cycle_ends(self.horizon) if end >= start]

    def next_end(self) -> int:
        while not self.ends:
            if self.horizon > NO_MORE_ENDS:
                self.ends = [NO_MORE_ENDS]
                break
            first = self.horizon
            self.horizon *= 2
            self.ends = [e for e in self.schedule.cycle_ends(self.horizon) if e >= first]
        return self.ends[0]

    def pop(self) -> int:
        end = self.next_end()
        self.ends.pop(0)
        return end

    def check_cycles_at_least(self, steps: int) -> None:
        ends = self.schedule.cycle_ends(self.horizon + 64 * steps)
        gaps = np.diff(ends)
        require(
            "SnapshotEnsemble",
            "schedule",
            self.schedule,
            len(gaps) == 0 or int(gaps.min()) >= steps,
            f"cycles of at least steps_per_execution={steps} steps (two cycle ends may not "
            "fall in one execution)",
        )


# --- copying the weights inside the compiled train step ---------------------------------------


class _InGraphCapture:
    """A copy of the weights made by the train step itself, for ``steps_per_execution > 1``.

    Before step ``target`` runs, when the weights are those after step ``target - 1``,
    :meth:`copy_if_due` (called inside the compiled train step by :class:`_TrainStepHook`)
    copies them into buffer variables, which :meth:`read` returns. On JAX the buffers and the
    target travel with the train step's state (:mod:`lrbook.backends`) while the hook is on.
    """

    def __init__(self, model: keras.Model, network: keras.Model):
        self.model = model
        self.network = network
        self.iterations = rate_owner(model.optimizer).iterations
        self.sources = list(network.weights)
        with variable_scope(model):  # mirrored, like the weights, under tf.distribute
            self.buffers = [
                keras.Variable(ops.zeros(v.shape, v.dtype), trainable=False, name="lrbook_snapshot")
                for v in self.sources
            ]
            self.target_step = keras.Variable(
                -1, dtype=self.iterations.dtype, trainable=False, name="lrbook_target"
            )
        self.traced = None  # (train function it wraps, captures, traced function): for reuse

    def fits(self, model: keras.Model, network: keras.Model) -> bool:
        return model is self.model and network is self.network

    @property
    def variables(self) -> list:
        return [*self.buffers, self.target_step]

    def copy_if_due(self) -> None:
        due = ops.equal(self.iterations.value, self.target_step.value)
        if is_jax():  # a pure step: the branches return values, assigned after the cond
            copies = ops.cond(
                due,
                lambda: [source.value for source in self.sources],
                lambda: [buffer.value for buffer in self.buffers],
            )
            for buffer, copy in zip(self.buffers, copies, strict=True):
                buffer.assign(copy)
            return

        def copy():
            for buffer, source in zip(self.buffers, self.sources, strict=True):
                buffer.assign(source.value)
            return ops.ones((), "int32")

        ops.cond(due, copy, lambda: ops.zeros((), "int32"))

    def target(self, cycle_end: int) -> None:
        """Copy before the step after ``cycle_end``."""
        assign_during_fit(self.model, self.target_step, cycle_end + 1)

    def read(self) -> list[np.ndarray]:
        return current_values(self.model, self.buffers)


class _TrainStepHook:
    """The model's ``train_step``, wrapped for one ``fit`` to run every capture before each step.

    Every ``SnapshotEnsemble`` of the fit attaches its capture in ``on_train_begin`` and detaches
    it in ``on_train_end``; when the last one leaves, the original ``train_step`` and train
    function are put back. A hook left by a fit that was interrupted (``on_train_end`` never
    ran) is undone by the next attach. The traced train function is kept by the captures, so
    the next ``fit`` with the same callbacks on the same compiled model does not trace again.
    """

    ATTRIBUTE = "_lrbook_snapshot_hook"

    def __init__(self, model: keras.Model):
        self.model = model
        self.own_train_step = model.__dict__.get("train_step")  # None: the class's method
        self.base_train_step = model.train_step
        self.base_function = model.train_function
        self.captures: list[_InGraphCapture] = []
        self.carrier = None  # on JAX, what carries the captures' variables through the step
        self.running = False  # set once a batch has run: later attaches belong to a new fit

    @classmethod
    def attach(cls, model: keras.Model, capture: _InGraphCapture) -> _TrainStepHook:
        hook = model.__dict__.get(cls.ATTRIBUTE)
        if hook is not None and hook.running:  # left by an interrupted fit
            hook.restore()
            hook = None
        if hook is None:
            hook = cls(model)
            object.__setattr__(model, cls.ATTRIBUTE, hook)
        hook.captures.append(capture)
        hook.install()
        return hook

    def install(self) -> None:
        captures, base, model = list(self.captures), self.base_train_step, self.model

        def copy_if_due():
            for capture in captures:
                capture.copy_if_due()

        def capturing_train_step(data):
            copy_if_due()
            return base(data)

        def capturing_stateless_train_step(state, data):  # JAX's train step
            return base(stateless_step(model, state, copy_if_due), data)

        if is_jax():
            self._detach_carrier()
            variables = [variable for capture in captures for variable in capture.variables]
            self.carrier = attach_to_metrics(model, variables)
            self.model.train_step = capturing_stateless_train_step
        else:
            self.model.train_step = capturing_train_step
        cached = captures[0].traced
        if cached and cached[0] is self.base_function and cached[1] == captures:
            self.model.train_function = cached[2]
            return
        self.model.make_train_function(force=True)
        for capture in captures:
            capture.traced = (self.base_function, captures, self.model.train_function)

    def detach(self, capture: _InGraphCapture) -> None:
        self.captures = [c for c in self.captures if c is not capture]
        if not self.captures:
            self.restore()

    def _detach_carrier(self) -> None:
        if self.carrier is not None:
            detach_from_metrics(self.model, self.carrier)
            self.carrier = None

    def restore(self) -> None:
        model = self.model
        self._detach_carrier()
        if self.own_train_step is None:
            model.__dict__.pop("train_step", None)
        else:
            model.train_step = self.own_train_step
        model.train_function = self.base_function
        model.__dict__.pop(self.ATTRIBUTE, None)


# --- helpers ----------------------------------------------------------------------------------


def _predict(model: keras.Model, x, batch_size: int | None) -> np.ndarray:
    """``model.predict(x)``; for NumPy arrays, batch by batch with ``predict_on_batch``, which
    skips ``predict``'s per-call set-up (about 40 times faster for a few thousand rows)."""
    if not isinstance(x, np.ndarray):
        return model.predict(x, batch_size=batch_size, verbose=0)
    size = batch_size or PREDICT_BATCH
    batches = [model.predict_on_batch(x[i : i + size]) for i in range(0, len(x), size)]
    return np.concatenate([np.asarray(batch) for batch in batches])


def _values(variables) -> list[np.ndarray]:
    # the variable, not its value: a scalar tf.distribute variable's value cannot be converted
    # inside the strategy's scope
    return [np.array(ops.convert_to_numpy(v), copy=True) for v in variables]


def _architecture(model: keras.Model) -> list:
    return [[list(v.shape), str(v.dtype)] for v in model.weights]


def _describe(architecture: list) -> str:
    return f"{len(architecture)} weights of shapes {[tuple(s) for s, _ in architecture]}"


def _rate_at(optimizer, step: int) -> float:
    rate = optimizer._learning_rate
    if isinstance(rate, keras.optimizers.schedules.LearningRateSchedule):
        return float(ops.convert_to_numpy(rate(step)))
    return float(ops.convert_to_numpy(optimizer.learning_rate))


def _model_outputs_logits(model: keras.Model) -> bool | None:
    """From the compiled loss (its ``from_logits``; a crossentropy named by a string takes
    probabilities), else from the last layer's activation; ``None`` if neither tells."""
    loss = getattr(model, "loss", None)
    if isinstance(getattr(loss, "from_logits", None), bool):
        return loss.from_logits
    if isinstance(loss, str) and "crossentropy" in loss:
        return False
    activation = getattr(model.layers[-1], "activation", None) if model.layers else None
    if activation in (keras.activations.softmax, keras.activations.sigmoid):
        return False
    if activation is keras.activations.linear:
        return True
    return None


def _look_like_probabilities(scores: np.ndarray) -> bool:
    if scores.shape[-1] == 1:
        return bool(np.all((scores >= 0) & (scores <= 1)))
    return bool(np.all(scores >= 0) and np.allclose(scores.sum(axis=-1), 1.0, atol=1e-3))


def _squash(units: int) -> str:
    return "sigmoid" if units == 1 else "softmax"


def _to_probabilities(scores: np.ndarray, from_logits: bool) -> np.ndarray:
    if not from_logits:
        return scores
    if scores.shape[-1] == 1:
        return 1.0 / (1.0 + np.exp(-scores))
    shifted = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def _classes(probabilities: np.ndarray) -> np.ndarray:
    if probabilities.shape[-1] == 1:
        return (probabilities[:, 0] > 0.5).astype(int)
    return np.argmax(probabilities, axis=-1)


def _labels(y: np.ndarray, classes: int) -> np.ndarray:
    if y.ndim == 2 and y.shape[-1] == classes and classes > 1:
        return np.argmax(y, axis=-1)
    return y.reshape(-1).astype(int)
