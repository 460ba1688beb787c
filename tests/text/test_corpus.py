import pytest

from writing7.artifacts import MissingInputError
from writing7.corpus import BookFile, corpus_inputs, discover_books, discover_corpora, first_corpus_of_authors, folders_without_books, read_book


def write(path, data=b"It was a dark and stormy night. " * 20):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_layout_gives_author_title_and_sorted_ids(tmp_path):
    write(tmp_path / "zola" / "nana.txt")
    write(tmp_path / "austen" / "persuasion.TXT")
    write(tmp_path / "austen" / "novels" / "emma.txt")
    write(tmp_path / "austen" / ".hidden.txt")
    write(tmp_path / ".cache" / "x" / "y.txt")
    write(tmp_path / "austen" / "notes.md")
    books = discover_books(tmp_path)
    assert [book.book_id for book in books] == ["austen/novels/emma", "austen/persuasion", "zola/nana"]
    assert books[0] == BookFile("austen/novels/emma", "austen", "novels/emma", tmp_path / "austen" / "novels" / "emma.txt")


def test_a_loose_file_is_its_own_author(tmp_path, caplog):
    write(tmp_path / "loose.txt")
    assert discover_books(tmp_path) == [BookFile("loose/loose", "loose", "loose", tmp_path / "loose.txt")]
    assert "not inside an author folder" in caplog.text


def test_missing_corpus_and_corpus_without_txt(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus directory .* not found"):
        discover_books(tmp_path / "nope")
    write(tmp_path / "author" / "book.pdf")
    with pytest.raises(FileNotFoundError, match=r"no \.txt files under .*: put books there as AUTHOR/TITLE\.txt"):
        discover_books(tmp_path)


def test_folders_without_books_reports_the_topmost_empty_folder(tmp_path):
    write(tmp_path / "a" / "book.txt")
    (tmp_path / "a" / "drafts").mkdir()
    (tmp_path / "b" / "c").mkdir(parents=True)
    write(tmp_path / "d" / "cover.jpg", b"\xff\xd8")
    assert folders_without_books(tmp_path) == ["a/drafts", "b", "d"]


def test_read_book_never_raises(tmp_path):
    assert read_book(tmp_path).skip_reason.startswith("unreadable file")  # a directory cannot be read as bytes
    assert read_book(tmp_path / "missing.txt").skip_reason.startswith("unreadable file")
    assert read_book(write(tmp_path / "empty.txt", b"")).skip_reason == "empty file"
    book = read_book(write(tmp_path / "ok.txt"))
    assert book.skip_reason is None and book.text.startswith("It was a dark")


def test_several_corpus_folders_read_as_one(tmp_path, caplog):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, books in ((first, ("austen/emma", "austen/persuasion")), (second, ("austen/emma", "bronte/villette"))):
        for book in books:
            (folder / f"{book}.txt").parent.mkdir(parents=True, exist_ok=True)
            (folder / f"{book}.txt").write_text(f"{folder.name} {book}", encoding="utf-8")
    books = discover_corpora((first, second))
    assert [book.book_id for book in books] == ["austen/emma", "austen/persuasion", "bronte/villette"]
    assert books[0].path == first / "austen" / "emma.txt" and "also in" in caplog.text  # the first folder wins, with a warning
    assert discover_corpora(first) == discover_books(first)
    assert first_corpus_of_authors((first, second)) == {"austen": 0, "bronte": 1}
    folders, hashes = corpus_inputs((first, second))
    assert folders == (first, second) and set(hashes) == {"corpus", "corpus 2"} and hashes["corpus"] != hashes["corpus 2"]
    assert set(corpus_inputs(first)[1]) == {"corpus"}  # one folder: the manifest key it always had
    with pytest.raises(MissingInputError, match="corpus directory not found at .*absent"):
        corpus_inputs((first, tmp_path / "absent"))
