"""A crystals option that names a file where a folder is wanted is one line, exit 2."""

from __future__ import annotations

from matnn.cli.main import main


def _one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("note: ")]
    assert len(err) == 1, err
    return err[0]


def test_cache_dir_that_is_a_file_is_one_line(tmp_path, capsys, structure_file):
    blocker = tmp_path / "cache"
    blocker.write_text("not a folder")
    code = main(
        [
            "crystals",
            "graphs",
            "--data",
            str(structure_file),
            "--cache-dir",
            str(blocker),
            "--out",
            str(tmp_path / "g"),
            "--quiet",
        ]
    )
    assert code == 2
    assert "cache" in _one_error_line(capsys)
