"""Event keys: the same event re-processed gets the same key; another step's stack gets another."""
from analytics.pipeline import event_key


def test_a_reprocessed_event_keeps_its_key_and_another_epoch_changes_it():
    base = event_key("atcs-0001", 0, "line_count", 2, "120:640")
    assert base == event_key("atcs-0001", 0, "line_count", 2, "120:640")
    assert base == event_key("atcs-0001", 0, "line_count", 2, "120:640", "")
    step1 = event_key("atcs-0001", 0, "line_count", 2, "120:640", "run/step-1")
    step2 = event_key("atcs-0001", 0, "line_count", 2, "120:640", "run/step-2")
    assert len({base, step1, step2}) == 3
    assert base != event_key("atcs-0001", 0, "line_count", 3, "120:640")
