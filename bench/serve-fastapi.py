"""The seed projects' serving architecture, for comparison: FastAPI + uvicorn calling a scikit-learn Pipeline with
the same preprocessing (mean imputation + standardisation, one-hot with unknown categories ignored) and model
(logistic regression) as the bundle's ONNX graph.

  python3 serve-fastapi.py train <csv> <pickle>          fit the pipeline once
  python3 serve-fastapi.py serve <pickle> <port> <workers>
"""
import os
import pickle
import sys

import pandas as pd

TARGET = "readmitted_30d"
DROP = ["patient_id", TARGET]


def train(csv: str, out: str) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    frame = pd.read_csv(csv)
    x = frame.drop(columns=DROP)
    y = frame[TARGET].astype(str)
    numeric = [c for c in x.columns if pd.api.types.is_numeric_dtype(x[c])]
    categorical = [c for c in x.columns if c not in numeric]
    pipeline = Pipeline(
        [
            (
                "preprocess",
                ColumnTransformer(
                    [
                        ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), numeric),
                        ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                    ]
                ),
            ),
            ("model", LogisticRegression(max_iter=1000)),
        ]
    )
    pipeline.fit(x, y)
    with open(out, "wb") as f:
        pickle.dump({"pipeline": pipeline, "columns": list(x.columns)}, f)
    print(f"trained sklearn pipeline on {len(frame)} rows -> {out}")


def create_app():
    from fastapi import FastAPI

    with open(os.environ["SKLEARN_PIPELINE"], "rb") as f:
        saved = pickle.load(f)
    pipeline, columns = saved["pipeline"], saved["columns"]
    classes = [str(c) for c in pipeline.classes_]
    app = FastAPI()

    @app.post("/predict")
    def predict(row: dict):
        frame = pd.DataFrame([row], columns=columns)
        probabilities = pipeline.predict_proba(frame)[0]
        best = int(probabilities.argmax())
        return {
            "prediction": classes[best],
            "probabilities": dict(zip(classes, probabilities.tolist())),
            "confidence": float(probabilities[best]),
        }

    return app


if __name__ == "__main__":
    if sys.argv[1] == "train":
        train(sys.argv[2], sys.argv[3])
    else:
        import uvicorn

        os.environ["SKLEARN_PIPELINE"] = sys.argv[2]
        # An import string so that --workers can start fresh processes; the module name has a dash, which
        # importlib accepts.
        uvicorn.run(
            "serve-fastapi:create_app",
            factory=True,
            host="127.0.0.1",
            port=int(sys.argv[3]),
            workers=int(sys.argv[4]),
            app_dir=os.path.dirname(os.path.abspath(__file__)),
            log_level="warning",
            access_log=False,
        )
