"""Load an OGC API – Features layer in QGIS's own OAPIF provider, headless, signed in by a Basic
authentication configuration as a QGIS 3.22 user sets one up; prints what QGIS saw as JSON.

Run by Debian's python3 (python3-qgis), not the project's venv: tests/test_gis_clients.py.
Usage: qgis_load.py URL COLLECTION TOKEN
"""

import json
import os
import sys
import tempfile

from qgis.core import QgsApplication, QgsAuthMethodConfig, QgsVectorLayer

url, collection, token = sys.argv[1:4]
os.environ.setdefault("QGIS_AUTH_DB_DIR_PATH", tempfile.mkdtemp())
QgsApplication.setPrefixPath("/usr", True)
app = QgsApplication([], False)
app.initQgis()
manager = QgsApplication.authManager()
manager.setMasterPassword("lagesbild-test", True)
config = QgsAuthMethodConfig()
config.setMethod("Basic")
config.setName("Lägesbild")
config.setConfig("username", "qgis")
config.setConfig("password", token)
stored = manager.storeAuthenticationConfig(config)
ok = stored[0] if isinstance(stored, tuple) else stored
layer = QgsVectorLayer(f"url='{url}' typename='{collection}' authcfg={config.id()}", collection, "OAPIF")
result = {"qgis": app.version() if hasattr(app, "version") else None, "auth_stored": bool(ok),
          "valid": layer.isValid()}
if layer.isValid():
    features = list(layer.getFeatures())
    result.update(
        feature_count=layer.featureCount(), loaded=len(features),
        ids=sorted(int(f.id()) for f in features)[:5],
        fields={field.name(): field.typeName() for field in layer.fields()},
        crs=layer.crs().authid(),
        first=[features[0].geometry().asPoint().x(), features[0].geometry().asPoint().y()] if features
        and layer.geometryType() == 0 else None,
    )
print(json.dumps(result), flush=True)
# QGIS 3.22 can crash while tearing down its network threads at exit; what was seen is printed, so
# the process leaves without the teardown
os._exit(0)
