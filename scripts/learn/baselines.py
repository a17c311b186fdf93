"""The model card's baselines on exactly the learning table's features: logistic regression (one-hot levels,
standardised numbers with a missing indicator) and gradient boosting (scikit-learn's HistGradientBoosting with
native categorical support). They say how much a points table gives up, if anything."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from scripts.learn.features import Feature, is_missing
from scripts.learn.model import DEFAULT_OPTIONS, OTHER, ModelOptions, pooled_levels

FloatArray = npt.NDArray[np.float64]


def _encode(train: pd.DataFrame, label: npt.NDArray[np.int_], test: pd.DataFrame, features: Sequence[Feature],
            options: ModelOptions) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Categories pooled as for the rubric (rare and unseen levels -> OTHER, missing -> '(missing)')."""
    out_train: dict[str, object] = {}
    out_test: dict[str, object] = {}
    categorical: list[str] = []
    for feature in features:
        if feature.kind == "category":
            keep = pooled_levels(train[feature.name].to_numpy(), options, float(np.mean(label)))

            def pool(values: npt.NDArray[np.object_], keep: set[str] = keep) -> list[str]:
                return ["(missing)" if is_missing(v) else (v if v in keep else OTHER) for v in values]

            out_train[feature.name] = pool(train[feature.name].to_numpy())
            out_test[feature.name] = pool(test[feature.name].to_numpy())
            categorical.append(feature.name)
        else:
            out_train[feature.name] = train[feature.name].to_numpy(dtype=np.float64)
            out_test[feature.name] = test[feature.name].to_numpy(dtype=np.float64)
    return pd.DataFrame(out_train), pd.DataFrame(out_test), categorical


def logistic_baseline(train: pd.DataFrame, label: npt.NDArray[np.int_], test: pd.DataFrame,
                      features: Sequence[Feature], options: ModelOptions = DEFAULT_OPTIONS) -> FloatArray:
    """Holdout probabilities of an L2 logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    x_train, x_test, categorical = _encode(train, label, test, features, options)
    numeric = [c for c in x_train.columns if c not in categorical]
    transformers = [("levels", OneHotEncoder(handle_unknown="ignore"), categorical)] if categorical else []
    if numeric:
        transformers.append(("numbers", make_pipeline(SimpleImputer(add_indicator=True, keep_empty_features=True),
                                                      StandardScaler()), numeric))
    model = make_pipeline(ColumnTransformer(transformers), LogisticRegression(max_iter=2000))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x_train, label)
        return model.predict_proba(x_test)[:, 1]


def boosting_baseline(train: pd.DataFrame, label: npt.NDArray[np.int_], test: pd.DataFrame,
                      features: Sequence[Feature], options: ModelOptions = DEFAULT_OPTIONS) -> FloatArray:
    """Holdout probabilities of gradient boosting (early stopping on an inner validation split)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x_train, x_test, categorical = _encode(train, label, test, features, options)
    for column in categorical:
        levels = sorted(set(x_train[column]))
        dtype = pd.CategoricalDtype(levels)
        x_train[column] = x_train[column].astype(dtype)
        x_test[column] = x_test[column].astype(dtype)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=options.seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x_train, label)
        return model.predict_proba(x_test)[:, 1]
