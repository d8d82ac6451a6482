"""Urban–rural gap measures by hand and their decomposition."""

import numpy as np
import pytest

import urbanrural as ur


def test_urban_rural_theil_by_hand():
    # urban income 3 for 1 person, rural 1 for 1 person: I = 4, shares 0.75 / 0.25, P shares ½
    t = 0.75 * np.log(0.75 / 0.5) + 0.25 * np.log(0.25 / 0.5)
    assert ur.urban_rural_theil(3, 1, 1, 1) == pytest.approx(t)
    assert ur.urban_rural_theil(2, 2, 5, 9) == pytest.approx(0)
    # equals the population-weighted Theil T of the two groups
    assert ur.urban_rural_theil(43834, 16021, 92071, 49104) == pytest.approx(
        ur.theil([43834, 16021], weights=[92071, 49104]).total)


def test_national_decomposition_adds_up():
    yu = np.array([50000.0, 30000, 25000])
    yr = np.array([20000.0, 12000, 9000])
    pu = np.array([1000.0, 3000, 2000])
    pr = np.array([300.0, 2000, 2500])
    d = ur.urban_rural_theil_decomposition(yu, yr, pu, pr, regions=["a", "b", "c"])
    assert d.between_regions + d.within_regions == pytest.approx(d.total, rel=1e-12)
    per = ur.urban_rural_theil(yu, yr, pu, pr)
    share = (yu * pu + yr * pr) / np.sum(yu * pu + yr * pr)
    assert d.within_regions == pytest.approx(np.sum(share * per), rel=1e-12)
    assert d.total == pytest.approx(ur.theil(np.r_[yu, yr], weights=np.r_[pu, pr]).total)


def test_dual_structure_by_hand():
    # primary sector: 10 % of output, 40 % of employment
    # B = (0.1/0.4) / (0.9/0.6) = 1/6; R = |0.1 − 0.4| = 0.3
    assert ur.dual_contrast_coefficient(10, 100, 40, 100) == pytest.approx(1 / 6)
    assert ur.dual_contrast_index(10, 100, 40, 100) == pytest.approx(0.3)
    np.testing.assert_allclose(ur.dual_contrast_index([10, 20], [100, 100], [40, 20], [100, 100]),
                               [0.3, 0.0])
