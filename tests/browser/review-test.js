// review-test.js — drives dedupe's review page in headless Chromium (tests/e2e/t0555-review.sh
// prepares the report and checks the saved decisions file).
//
//   node review-test.js CHROMIUM PAGE WORKDIR EXPECT.json
//
// EXPECT: {"groups": N, "holiday": groups with a member under "holiday 2019/",
// "hostile": [names that must show as text]}.  Prints "ok - ..." or "not ok - ...: why"
// per check; the saved decisions file is WORKDIR/downloads/decisions.ndjson.
'use strict';
const fs = require('fs');
const path = require('path');
const url = require('url');
const cdp = require('./cdp');

const [chromium, pagePath, work, expectFile] = process.argv.slice(2);
const expect = JSON.parse(fs.readFileSync(expectFile, 'utf8'));
const pageUrl = url.pathToFileURL(pagePath).href;
let failed = 0;
function ok(cond, what, why) {
	if (cond) {
		console.log('ok - ' + what);
	} else {
		failed++;
		console.log('not ok - ' + what + (why !== undefined ? ': ' + why : ''));
	}
}
const J = JSON.stringify;
// the figure of the image named NAME, in the page
const fig = (name) => `[...document.querySelectorAll('figure')].find(f => f.querySelector('.name').title === ${J(name)})`;
const sec = (name) => `${fig(name)}.closest('section')`;

let browser = null;
async function main() {
	const downloads = path.join(work, 'downloads');
	fs.mkdirSync(downloads, { recursive: true });
	const b = browser = await cdp.launch(chromium, path.join(work, 'profile'), ['--window-size=1200,900']);
	const dialogs = [], errors = [];
	let downloaded = null;
	b.on('Browser.downloadProgress', (p) => {
		if (p.state === 'completed' && downloaded)
			downloaded.ok(p);
	});
	await b.send('Browser.setDownloadBehavior', { behavior: 'allow', downloadPath: downloads,
		eventsEnabled: true });
	const page = b.lastPage = await b.newPage();
	page.on('Page.javascriptDialogOpening', (p) => {
		dialogs.push(p.message);
		page.send('Page.handleJavaScriptDialog', { accept: false });
	});
	page.on('Runtime.exceptionThrown', (p) => errors.push(p.exceptionDetails.exception ?
		p.exceptionDetails.exception.description : p.exceptionDetails.text));

	await page.send('Page.navigate', { url: pageUrl });
	await page.waitFor('document.body.dataset.ready === "1" && document.body.dataset.index === "1"');
	ok(await page.eval('document.querySelectorAll("section.group").length') === 20,
		'the first page shows 20 groups');
	const status = await page.eval('document.getElementById("status").textContent');
	ok(status.indexOf('of ' + expect.groups + ' groups') >= 0, 'the status names every group', status);
	const fr = await page.eval('+document.body.dataset.firstRender');
	ok(fr > 0, 'the page measured its first render (' + fr + ' ms)');

	// the groups come weakest evidence first
	const ranks = await page.eval('[...document.querySelectorAll("section.group")].map(s => +s.dataset.pos)');
	ok(J(ranks) === J(ranks.slice().sort((x, y) => x - y)), 'the default order is the report\'s attention order');

	// paging by clicking
	const seen = new Set(ranks);
	for (let p = 1; p <= 3; p++) {
		await page.click('document.querySelector("#pager .b-next")');
		await page.waitFor(`document.body.dataset.page === "${p}"`);
		const ids = await page.eval('[...document.querySelectorAll("section.group")].map(s => s.dataset.id)');
		ids.forEach((x) => seen.add('id' + x));
	}
	ok(seen.size === 20 + 60, 'three more pages of 20 other groups each', seen.size);
	await page.click('document.querySelector("#pager .b-prev")');
	await page.waitFor('document.body.dataset.page === "2"');
	ok(true, 'the previous page');

	// keyboard: back to the first page, then j past its last group
	await page.key('[');
	await page.key('[');
	await page.waitFor('document.body.dataset.page === "0"');
	for (let i = 0; i < 20; i++)
		await page.key('j');
	await page.waitFor('document.body.dataset.page === "1"');
	const f1 = await page.eval('document.querySelector("section.focus") === document.querySelector("section.group")');
	ok(f1, 'j past the last group opens the next page at its first group');
	await page.key('k');
	await page.waitFor('document.body.dataset.page === "0"');
	ok(await page.eval('document.querySelector("section.focus") === [...document.querySelectorAll("section.group")].pop()'),
		'k goes back to the previous page\'s last group');
	await page.key('?');
	ok(await page.eval('document.getElementById("help").classList.contains("on")'), '? shows the help');
	await page.key('Escape');

	// sorting by savings
	await page.eval('(() => { const s = document.querySelector("#bar select"); s.value = "saved"; s.dispatchEvent(new Event("change")); })()');
	await page.waitFor('document.body.dataset.sorted === "saved"');
	const saved = await page.eval('[...document.querySelectorAll("section.group")].map(s => +s.dataset.saved)');
	ok(saved.length === 20 && J(saved) === J(saved.slice().sort((x, y) => y - x)), 'sorted by bytes saved', J(saved));
	await page.eval('(() => { const s = document.querySelector("#bar select"); s.value = "attention"; s.dispatchEvent(new Event("change")); })()');
	await page.waitFor('document.body.dataset.sorted === "attention"');

	// the evidence and stage filters
	async function pick(i, value) {
		await page.eval(`(() => { const s = document.querySelectorAll("#bar select")[${i}]; s.value = ${J(value)}; s.dispatchEvent(new Event("change")); })()`);
		await page.waitFor('document.body.dataset.ready === "1"');
	}
	await pick(2, '1');
	const ex = await page.eval('[...document.querySelectorAll("section.group")].map(s => [...s.querySelectorAll(".tag")].some(t => t.textContent === "exact"))');
	ok(ex.length > 0 && ex.every((x) => x), 'the evidence filter "same bytes" keeps groups with an exact copy', J(ex));
	await pick(2, '');
	await pick(1, '2');
	const nr = await page.eval('[...document.querySelectorAll("section.group")].map(s => [...s.querySelectorAll(".tag")].some(t => t.textContent === "near"))');
	ok(nr.length === 20 && nr.every((x) => x), 'the stage filter "near" keeps groups with a near copy', J(nr));
	await pick(1, '');

	// the folder filter, typed
	async function filter(prefix) {
		await page.click('document.querySelector("#bar input")');
		await page.eval('document.querySelector("#bar input").select()');
		await page.type(prefix);
		await page.waitFor(`document.querySelector("#bar input").value === ${J(prefix)} && document.body.dataset.ready === "1"`);
		await page.waitFor(`document.querySelectorAll("section.group").length > 0 && [...document.querySelectorAll("section.group")].every(s => [...s.querySelectorAll(".name")].some(n => n.title.startsWith(${J(prefix)})))`);
	}
	await filter('holiday 2019/');
	const nh = await page.eval('document.querySelectorAll("section.group").length');
	ok(nh === expect.holiday, 'the folder filter keeps the groups with an image under "holiday 2019/"', nh);

	// a new keeper and a member that is not a duplicate, by clicking
	await page.click(`${fig('variants/astronaut-q40.jpg')}.querySelector(".b-keep")`);
	await page.waitFor(`${fig('variants/astronaut-q40.jpg')}.classList.contains("newkeeper")`);
	ok(await page.eval(`${sec('variants/astronaut-q40.jpg')}.querySelector("figure").dataset.i !== "0"`),
		'the new keeper moves to the front, marked');
	ok(await page.eval(`${fig('holiday 2019/café #1.jpg')}.querySelector(".tag").textContent === "was keeper"`),
		'the old keeper is marked as such');
	await page.click(`${fig('holiday 2019/100% sure?.jpg')}.querySelector(".b-nd")`);
	await page.waitFor(`${fig('holiday 2019/100% sure?.jpg')}.classList.contains("notdup")`);
	ok(await page.eval(`getComputedStyle(${fig('holiday 2019/100% sure?.jpg')}.querySelector(".name")).textDecorationLine === "line-through"`),
		'a member that is not a duplicate is struck out');

	// the side-by-side view of the originals (reachable here: file:// URLs)
	await page.click(`${fig('holiday 2019/100% sure?.jpg')}.querySelector(".b-cmp")`);
	await page.waitFor('document.getElementById("overlay").classList.contains("on")');
	await page.waitFor('[...document.querySelectorAll("#overlay img")].every(i => i.complete)');
	const imgs = await page.eval('[...document.querySelectorAll("#overlay img")].map(i => [i.src, i.naturalWidth])');
	ok(imgs.length === 2 && imgs.every((x) => x[1] > 0), 'compare shows the keeper and the member at full size', J(imgs));
	ok(imgs.length === 2 && imgs[1][0] === url.pathToFileURL(path.join(expect.src, 'holiday 2019/100% sure?.jpg')).href,
		'the original\'s file:// URL is percent-encoded', imgs.length && imgs[1][0]);
	await page.key('f');
	ok(await page.eval('document.querySelector("#overlay .pair").classList.contains("flicker")'), 'f flickers');
	await page.key('Escape');
	await page.waitFor('!document.getElementById("overlay").classList.contains("on")');

	// a split: two members picked, split off; the group marked reviewed
	await filter('variants/');
	await page.click(`${fig('variants/chelsea-bright.jpg')}.querySelector(".b-pick")`);
	await page.waitFor(`${fig('variants/chelsea-bright.jpg')}.classList.contains("pick")`);
	await page.click(`${fig('variants/chelsea-crop.jpg')}.querySelector(".b-pick")`);
	await page.waitFor(`${fig('variants/chelsea-crop.jpg')}.classList.contains("pick")`);
	await page.click(`${sec('variants/chelsea-crop.jpg')}.querySelector(".b-split")`);
	await page.waitFor(`${sec('variants/chelsea-crop.jpg')}.querySelectorAll(".row.apart figure").length === 2`);
	ok(true, 'the picked members are shown split off');
	await page.click(`${sec('variants/chelsea-crop.jpg')}.querySelector(".b-rev")`);
	await page.waitFor(`${sec('variants/chelsea-crop.jpg')}.classList.contains("reviewed")`);
	ok(true, 'the group is shown reviewed');
	if (process.env.REVIEW_SHOT) {
		await page.send('Emulation.setDeviceMetricsOverride', { width: 1200, height: 1700, deviceScaleFactor: 1, mobile: false });
		await page.eval('window.scrollTo(0, 0)');
		const shot = await page.send('Page.captureScreenshot', { format: 'png' });
		fs.writeFileSync(process.env.REVIEW_SHOT, Buffer.from(shot.data, 'base64'));
		await page.send('Emulation.clearDeviceMetricsOverride');
	}
	const n = await page.eval('+document.body.dataset.decisions');
	ok(n === 4, 'four decisions counted', n);

	// hostile names: text, nothing run
	await filter('originals/');
	for (const h of expect.hostile) {
		ok(await page.eval(`!!${fig(h)} && ${fig(h)}.querySelector(".name").textContent === ${J(h)}`),
			'a hostile name shows as text: ' + h);
	}
	ok(await page.eval('window.__pwned === undefined && !document.querySelector("#groups script, #groups img[src=x]")'),
		'no script from a name ran, no element from a name was made');

	// save: the download
	const done = new Promise((ok2) => { downloaded = { ok: ok2 }; });
	await page.click('document.getElementById("save")');
	await Promise.race([done, new Promise((_, no) => setTimeout(() => no(new Error('no download')), 30000))]);
	ok(fs.existsSync(path.join(downloads, 'decisions.ndjson')), 'the decisions file was downloaded');

	// a reload keeps the decisions.  The old page is marked first: right after
	// Page.reload the old document can still answer (ready and indexed), and a check
	// that reached it, or the new one before its script ran, failed under load.
	// The page writes each decision to localStorage as it is made, but Chromium hands
	// a renderer's writes to the browser process in batches: a reload that starts a new
	// renderer at once can read the storage before the last batch lands (it did, once,
	// under the sanitizers' load).  So the page is reloaded again, half a second apart,
	// until it shows the four decisions or a minute has gone: one never written fails.
	let kept = -1;
	for (const t1 = Date.now(); kept !== 4 && Date.now() - t1 < 60000;) {
		if (kept >= 0)
			await new Promise((r) => setTimeout(r, 500));
		await page.eval('window.__beforeReload = 1');
		await page.send('Page.reload');
		for (const t0 = Date.now(); ;) {
			let back = false;
			try {
				back = await page.eval('window.__beforeReload === undefined && !!document.body && ' +
					'document.body.dataset.ready === "1" && document.body.dataset.index === "1"');
			} catch (e) { /* the old page's context went away mid-check */ }
			if (back) break;
			if (Date.now() - t0 > 60000) throw new Error('the page did not come back after a reload');
			await new Promise((r) => setTimeout(r, 50));
		}
		kept = await page.eval('+document.body.dataset.decisions');
	}
	ok(kept === 4, 'a reload keeps the decisions', J(kept));
	await filter('holiday 2019/');
	ok(await page.eval(`${fig('variants/astronaut-q40.jpg')}.classList.contains("newkeeper")`),
		'and shows them');

	ok(dialogs.length === 0, 'no dialog opened', J(dialogs));
	ok(errors.length === 0, 'no script error', J(errors));
	await b.close();
}

main().then(() => process.exit(failed ? 1 : 0), async (e) => {
	console.log('not ok - the browser test stopped: ' + (e && e.stack || e));
	if (browser) {
		try {
			console.log('    the folder filter: ' + await browser.lastPage.eval('document.querySelector("#bar input").value'));
		} catch (e2) { /* no page */ }
		await browser.close();
	}
	process.exit(1);
});
