def test_porespy_import_leaves_the_root_logger_alone():
    # porespy's import adds a rich handler to the root logger, which would print every library's INFO
    # records (a Dask cluster's start and stop); matnn's import of it removes that handler.
    import subprocess
    import sys

    code = (
        "import logging; from matnn.data.microstructure.generate import import_porespy; "
        "import_porespy(); print(len(logging.getLogger().handlers))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
