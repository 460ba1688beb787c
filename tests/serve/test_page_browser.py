"""The page in a real headless Chromium (Debian's chromium + chromium-driver, driven by selenium): `make test-browser`.

`writing7 serve` runs as a real process with an API key and candidate authors; the browser loads the page,
pastes two texts, presses Compare, is asked for the key, gives it, presses Compare again and waits for the
probabilities and the explanation; then attributes a text against the configured candidates and searches the
index. Screenshots
go to ``reports/browser/`` in the repository.
"""

import shutil
from pathlib import Path

import pytest

from tiny_models import FIXTURE_CORPUS

from test_serve_uvicorn import serving

pytestmark = pytest.mark.slow
REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPOSITORY / "reports" / "browser"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
KEY = "page-k3y"
WAIT_SECONDS = 180  # the first compare loads and runs the model on a busy 2-core machine


def book(author, title):
    from writing7.corpus import read_book

    return read_book(FIXTURE_CORPUS / author / title).text


@pytest.fixture()
def served_page(attribution_model_dir, fixture_index_dir, tmp_path):
    candidates = tmp_path / "candidates"
    for author, title in (("grey-zane", "desert-gold.txt"), ("stevenson-robert-louis", "kidnapped.txt"), ("jerome-jerome-k", "three-men-in-a-boat.txt")):
        (candidates / author).mkdir(parents=True)
        (candidates / author / title).write_text(book(author, title), encoding="utf-8")
    arguments = ["--model", str(attribution_model_dir), "--api-key", KEY, "--candidates", str(candidates), "--index", str(fixture_index_dir)]
    with serving(arguments, {"WRITING7_CACHE": str(tmp_path / "cache")}) as url:
        yield url


@pytest.fixture()
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed: pip install -e '.[dev]'")
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("Chromium is not installed: `make test-browser` installs chromium and chromium-driver with apt")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,2200"):
        options.add_argument(argument)
    from selenium.webdriver.chrome.service import Service

    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)  # no Selenium Manager download
    try:
        yield driver
    finally:
        driver.quit()


def test_compare_and_attribute_in_a_real_browser(served_page, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, WAIT_SECONDS)
    browser.get(served_page + "/")
    assert browser.title.startswith("Writing7")
    text_a = " ".join(book("grey-zane", "desert-gold.txt").split()[:260])
    text_b = " ".join(book("grey-zane", "riders-of-the-purple-sage.txt").split()[:260])
    browser.find_element(By.ID, "text-a").send_keys(text_a)
    browser.find_element(By.ID, "text-b").send_keys(text_b)
    browser.find_element(By.ID, "compare-button").click()
    key_field = wait.until(shown.visibility_of_element_located((By.ID, "api-key")))  # 401: the page asks for the key
    key_field.send_keys(KEY)
    browser.find_element(By.CSS_SELECTOR, "#key-form button").click()
    browser.find_element(By.ID, "compare-button").click()
    wait.until(shown.visibility_of_element_located((By.ID, "compare-result")))
    scales = browser.find_elements(By.CSS_SELECTOR, "#scales .scale")
    assert len(scales) == 2 and "Same book" in scales[0].text and "%" in scales[0].text and "Same author" in scales[1].text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#contributions tbody tr")) == 20  # the 10 largest of each task
    evidence = browser.find_element(By.ID, "evidence").text
    assert "Shared rare words" in evidence and "Function words A uses more than B" in evidence
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / "compare.png"))

    browser.find_element(By.ID, "tab-attribute").click()
    wait.until(shown.text_to_be_present_in_element((By.ID, "configured-candidates"), "grey-zane"))
    browser.find_element(By.ID, "query").send_keys(" ".join(book("grey-zane", "riders-of-the-purple-sage.txt").split()[400:700]))
    browser.find_element(By.ID, "attribute-button").click()
    wait.until(shown.visibility_of_element_located((By.ID, "attribute-result")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#attribution-list li")
    assert len(rows) == 4 and any("None of these" in row.text for row in rows)
    browser.save_screenshot(str(SCREENSHOTS / "attribute.png"))

    browser.find_element(By.ID, "tab-search").click()  # shown: the service has an index
    browser.find_element(By.ID, "passage").send_keys(" ".join(book("jerome-jerome-k", "three-men-in-a-boat.txt").split()[100:220]))
    browser.find_element(By.ID, "search-button").click()
    wait.until(shown.visibility_of_element_located((By.ID, "search-result")))
    assert len(browser.find_elements(By.CSS_SELECTOR, "#search-rows tr")) >= 1

    browser.set_window_size(390, 1800)  # a phone: one column, nothing cut off
    browser.find_element(By.ID, "tab-compare").click()
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 400
    browser.save_screenshot(str(SCREENSHOTS / "compare-narrow.png"))
