"""The filters every chart shares: time range (presets or custom), policy, task, model, team, kind."""

from __future__ import annotations

import time
from dataclasses import replace

from PySide6.QtCore import QDateTime, Signal
from PySide6.QtWidgets import QComboBox, QDateTimeEdit, QHBoxLayout, QLabel, QWidget

from console.core.ledger.filters import Filters
from console.core.ledger.series import FilterChoices
from console.ui.pages.dashboard.query import DEFAULT_PRESET, KIND_CHOICES, RANGE_PRESETS, Clock, DashboardQuery

_ANY = {"policy": "All policies", "task": "All tasks", "model": "All models", "team": "All teams"}


class FiltersBar(QWidget):
    """One row of filter controls.

    Signals:
        sig_filters_changed(object): the DashboardQuery the controls now describe.
    """

    sig_filters_changed = Signal(object)

    def __init__(self, clock: Clock = time.time, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._clock = clock
        self._quiet = False
        self._custom_set = False  # the custom range starts as the last week until someone sets it
        self.spend_by = "model"
        self.range = QComboBox()
        for label, seconds in RANGE_PRESETS:
            self.range.addItem(label, seconds)
        self.range.setCurrentText(DEFAULT_PRESET)
        self.since = QDateTimeEdit()
        self.until = QDateTimeEdit()
        for edit in (self.since, self.until):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setVisible(False)
            edit.dateTimeChanged.connect(self._on_control_changed)
        self.combos: dict[str, QComboBox] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(QLabel("Range"))
        layout.addWidget(self.range)
        layout.addWidget(self.since)
        layout.addWidget(self.until)
        for name, any_label in _ANY.items():
            combo = QComboBox()
            combo.addItem(any_label, None)
            combo.setMinimumContentsLength(10)
            combo.currentIndexChanged.connect(self._on_control_changed)
            self.combos[name] = combo
            layout.addWidget(combo)
        self.kind = QComboBox()
        for label, value in KIND_CHOICES:
            self.kind.addItem(label, value)
        self.kind.setToolTip("Production traffic, or the pilot/comparison/imported runs kept apart from it")
        self.kind.currentIndexChanged.connect(self._on_control_changed)
        layout.addWidget(self.kind)
        layout.addStretch(1)
        self.range.currentIndexChanged.connect(self._on_range_changed)

    def set_choices(self, choices: FilterChoices) -> None:
        """Offer the values present in the log, keeping current picks."""
        self._quiet = True
        for name, values in (("policy", choices.policies), ("task", choices.tasks), ("model", choices.models),
                             ("team", choices.teams)):
            combo = self.combos[name]
            current = combo.currentData()
            combo.clear()
            combo.addItem(_ANY[name], None)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(combo.findData(current), 0) if current else 0)
        self._quiet = False

    def query(self) -> DashboardQuery:
        now = self._clock()
        seconds = self.range.currentData()
        if seconds is None:
            since = self.since.dateTime().toSecsSinceEpoch()
            until = self.until.dateTime().toSecsSinceEpoch()
            since, until = min(since, until), max(since, until)
            filters = Filters(since=float(since), until=float(until))
        else:
            filters = Filters(since=now - seconds, until=now)
        filters = replace(filters, kind=self.kind.currentData(),
                          **{name: combo.currentData() for name, combo in self.combos.items()})
        return DashboardQuery(filters=filters, spend_by=self.spend_by, relative_seconds=seconds)  # type: ignore[arg-type]

    def set_range_preset(self, label: str) -> None:
        self.range.setCurrentText(label)

    def set_custom_range(self, since: float, until: float) -> None:
        self._quiet = True
        self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(since)))
        self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(until)))
        self._quiet = False
        self._custom_set = True
        if self.range.currentData() is None:
            self._on_control_changed()
        else:
            self.range.setCurrentText("Custom range")

    def set_filter(self, name: str, value: str | None) -> None:
        combo = self.combos[name] if name in self.combos else self.kind
        index = combo.findData(value)
        if index < 0:
            combo.addItem(value or "", value)
            index = combo.count() - 1
        combo.setCurrentIndex(index)

    def _on_range_changed(self, _index: int) -> None:
        custom = self.range.currentData() is None
        if custom and not self._custom_set:
            now = self._clock()
            self._quiet = True
            self.since.setDateTime(QDateTime.fromSecsSinceEpoch(int(now - 7 * 86400)))
            self.until.setDateTime(QDateTime.fromSecsSinceEpoch(int(now)))
            self._quiet = False
            self._custom_set = True
        self.since.setVisible(custom)
        self.until.setVisible(custom)
        self._on_control_changed()

    def _on_control_changed(self, *_args: object) -> None:
        if not self._quiet:
            self.sig_filters_changed.emit(self.query())
