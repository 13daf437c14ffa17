"""The pure helpers of audio_env: if they were wrong, every audio test built on them would
pass or fail for the wrong reason."""

import struct

import numpy as np
import pytest

import audio_env as ae


def _s16(data):
    return np.frombuffer(data, dtype='<i2')


def test_pattern_is_deterministic_and_sliceable():
    a = ae.pattern(50000)
    assert a == ae.pattern(50000)
    assert len(a) == 100000
    assert ae.pattern(1000, start=20000) == a[40000:42000]


def test_pattern_exposes_reorder_gap_and_duplicate():
    s = _s16(ae.pattern(20000))
    assert len(np.unique(s)) > 15000          # noise, not a short cycle
    windows = {tuple(s[i:i + 4]) for i in range(len(s) - 3)}
    assert len(windows) == len(s) - 3         # every 4-sample window is unique


def _frame(stream_id, seq, samples, capture_us, magic=b'DBA1', n=None):
    n = len(samples) if n is None else n
    return struct.pack('<4sIIIQ', magic, stream_id, seq, n, capture_us) + \
        np.asarray(samples, dtype='<i2').tobytes()


def test_decode_frame_round_trip():
    samples = _s16(ae.pattern(320))
    sid, seq, n, cap, got = ae.decode_frame(_frame(7, 42, samples, 123456789012))
    assert (sid, seq, n, cap) == (7, 42, 320, 123456789012)
    assert got.dtype == np.int16 and np.array_equal(got, samples)


@pytest.mark.parametrize('data', [
    b'DBA1' + bytes(10),                              # shorter than the header
    _frame(1, 0, [1, 2, 3], 0, magic=b'DBA2'),        # bad magic
    _frame(1, 0, [1, 2, 3], 0, n=4),                  # count says more than carried
    _frame(1, 0, [1, 2, 3], 0, n=2),                  # count says less than carried
])
def test_decode_frame_rejects_malformed(data):
    with pytest.raises(ValueError):
        ae.decode_frame(data)


def test_dominant_frequency_of_a_one_second_tone():
    s = _s16(ae.tone(1000, 16000, 1.0))
    assert ae.dominant_frequency(s, 16000) == pytest.approx(1000, abs=0.5)
    off_bin = _s16(ae.tone(997.3, 16000, 1.0))
    assert ae.dominant_frequency(off_bin, 16000) == pytest.approx(997.3, abs=0.5)


def test_levels_of_full_scale_square_and_silence():
    square = np.tile(np.array([32767] * 8 + [-32768] * 8, dtype=np.int16), 100)
    rms, peak = ae.level_dbfs(square)
    assert rms == pytest.approx(0, abs=0.05) and peak == pytest.approx(0, abs=0.05)
    assert ae.level_dbfs(np.zeros(1600, dtype=np.int16)) == (-100.0, -100.0)


def test_level_of_tone_follows_its_amplitude():
    rms, peak = ae.level_dbfs(_s16(ae.tone(440, 16000, 0.1, amplitude=0.25)))
    assert peak == pytest.approx(20 * np.log10(0.25), abs=0.1)
    assert rms == pytest.approx(20 * np.log10(0.25 / np.sqrt(2)), abs=0.1)
