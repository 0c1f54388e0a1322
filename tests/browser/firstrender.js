// firstrender.js — how fast a review page opens, for tests/bench/review.sh:
//
//   node firstrender.js CHROMIUM PAGE WORKDIR
//
// Opens PAGE (a file) in headless Chromium and prints, as the page measured them with
// performance.now() from the start of the navigation, the milliseconds until the first
// groups were in the document and until the index (sorting, filters) was in, then the
// milliseconds a click on "next" took to show the next page: "first_ms index_ms next_ms".
'use strict';
const path = require('path');
const url = require('url');
const cdp = require('./cdp');

async function main() {
	const [chromium, page, work] = process.argv.slice(2);
	const b = await cdp.launch(chromium, path.join(work, 'profile'), ['--window-size=1200,900']);
	try {
		const p = await b.newPage();
		await p.send('Page.navigate', { url: url.pathToFileURL(page).href });
		await p.waitFor('document.body.dataset.ready === "1" && document.body.dataset.index === "1"', 300000);
		const first = await p.eval('document.body.dataset.firstRender');
		const index = await p.eval('document.body.dataset.indexMs');
		const t0 = await p.eval('performance.now()');
		await p.click('document.querySelector("#pager .b-next")');
		await p.waitFor('document.body.dataset.page === "1" && document.body.dataset.ready === "1"');
		const t1 = await p.eval('performance.now()');
		console.log(first + ' ' + index + ' ' + (t1 - t0).toFixed(1));
	} finally {
		await b.close();
	}
}
main().catch((e) => {
	console.error('firstrender.js: ' + (e && e.message || e));
	process.exit(1);
});
