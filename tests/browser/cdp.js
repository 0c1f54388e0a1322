// cdp.js — a small client of the Chrome DevTools Protocol over Chromium's
// --remote-debugging-pipe (file descriptors 3 and 4, messages ended by a NUL byte): no
// WebSocket, no npm package.  Used by the browser tests and the review bench.
//
//   const cdp = require('./cdp');
//   const b = await cdp.launch(chromiumPath, userDataDir, ['--window-size=1200,900']);
//   const page = await b.newPage();            // a tab, attached (flat session)
//   await page.send('Page.navigate', { url });
//   await page.waitFor('document.body.dataset.ready === "1"');
//   const v = await page.eval('document.title');
//   await page.click('document.querySelector("#save")');
//   b.on('Browser.downloadProgress', fn);     // events, browser-wide or per session
//   await b.close();
'use strict';
const { spawn } = require('child_process');

class Session {
	constructor(browser, id) {
		this.browser = browser;
		this.id = id;
	}
	send(method, params) {
		return this.browser.send(method, params, this.id);
	}
	on(method, fn) {
		this.browser.on(method, fn, this.id);
	}
	// the value of a JavaScript expression in the page (promises awaited); a thrown
	// exception rejects with its text
	async eval(expr) {
		const r = await this.send('Runtime.evaluate', {
			expression: expr, awaitPromise: true, returnByValue: true, userGesture: true
		});
		if (r.exceptionDetails) {
			const d = r.exceptionDetails;
			throw new Error('in the page: ' + (d.exception && d.exception.description || d.text));
		}
		return r.result.value;
	}
	// resolves when EXPR is true in the page, checked at each animation frame and on each
	// change to the document (no fixed sleep); rejects after ms
	waitFor(expr, ms) {
		const limit = ms || 30000;
		return this.eval(`new Promise((ok, no) => {
			const t0 = performance.now();
			const test = () => { try { return !!(${expr}); } catch (e) { return false; } };
			const tick = () => {
				if (test()) return ok(true);
				if (performance.now() - t0 > ${limit}) return no(new Error('timed out waiting for: ' + ${JSON.stringify(expr)}));
				requestAnimationFrame(tick);
			};
			tick();
		})`);
	}
	// a real mouse click at the middle of the element that EXPR gives (scrolled into view)
	async click(expr) {
		const box = await this.eval(`(() => {
			const e = ${expr};
			if (!e) throw new Error('no element for: ' + ${JSON.stringify(expr)});
			if (e.disabled) throw new Error('disabled: ' + ${JSON.stringify(expr)});
			e.scrollIntoView({ block: 'center', inline: 'center' });
			const r = e.getBoundingClientRect();
			return { x: r.left + r.width / 2, y: r.top + r.height / 2 };
		})()`);
		const base = { x: box.x, y: box.y, button: 'left', clickCount: 1 };
		await this.send('Input.dispatchMouseEvent', Object.assign({ type: 'mouseMoved' }, base));
		await this.send('Input.dispatchMouseEvent', Object.assign({ type: 'mousePressed' }, base));
		await this.send('Input.dispatchMouseEvent', Object.assign({ type: 'mouseReleased' }, base));
	}
	// a key typed: KEY as KeyboardEvent.key ('j', 'K', 'Escape')
	async key(key) {
		const text = key.length === 1 ? key : undefined;
		const code = key.length === 1 ? 'Key' + key.toUpperCase() : key;
		await this.send('Input.dispatchKeyEvent', { type: 'keyDown', key, code, text,
			modifiers: key.length === 1 && key !== key.toLowerCase() ? 8 : 0 });
		await this.send('Input.dispatchKeyEvent', { type: 'keyUp', key, code });
	}
	async type(text) {
		await this.send('Input.insertText', { text });
	}
}

class Browser {
	constructor(proc) {
		this.proc = proc;
		this.next = 1;
		this.pending = new Map();
		this.handlers = [];
		let buf = Buffer.alloc(0);
		proc.stdio[4].on('data', (d) => {
			buf = Buffer.concat([buf, d]);
			let z;
			while ((z = buf.indexOf(0)) >= 0) {
				const msg = JSON.parse(buf.subarray(0, z).toString('utf8'));
				buf = buf.subarray(z + 1);
				this.dispatch(msg);
			}
		});
		this.exited = new Promise((ok) => proc.on('exit', ok));
		this.exited.then(() => {
			for (const p of this.pending.values())
				p.no(new Error('chromium exited'));
			this.pending.clear();
		});
	}
	dispatch(msg) {
		if (msg.id !== undefined) {
			const p = this.pending.get(msg.id);
			if (!p)
				return;
			this.pending.delete(msg.id);
			if (msg.error)
				p.no(new Error(p.method + ': ' + msg.error.message));
			else
				p.ok(msg.result);
			return;
		}
		for (const h of this.handlers)
			if (h.method === msg.method && (h.session === undefined || h.session === msg.sessionId))
				h.fn(msg.params);
	}
	send(method, params, sessionId) {
		const id = this.next++;
		const msg = { id, method, params: params || {} };
		if (sessionId)
			msg.sessionId = sessionId;
		return new Promise((ok, no) => {
			this.pending.set(id, { ok, no, method });
			this.proc.stdio[3].write(JSON.stringify(msg) + '\0');
		});
	}
	on(method, fn, session) {
		this.handlers.push({ method, fn, session });
	}
	async newPage() {
		const { targetId } = await this.send('Target.createTarget', { url: 'about:blank' });
		const { sessionId } = await this.send('Target.attachToTarget', { targetId, flatten: true });
		const s = new Session(this, sessionId);
		await s.send('Page.enable');
		await s.send('Runtime.enable');
		return s;
	}
	async close() {
		try {
			await Promise.race([this.send('Browser.close'), this.exited]);
		} catch (e) { /* gone already */ }
		await Promise.race([this.exited, new Promise((ok) => setTimeout(ok, 5000))]);
		if (this.proc.exitCode === null)
			this.proc.kill('SIGKILL');
	}
}

function launch(chromium, userDataDir, extra) {
	const args = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
		'--disable-background-networking', '--disable-component-update', '--disable-sync',
		'--disable-quic', '--hide-scrollbars', '--remote-debugging-pipe',
		'--user-data-dir=' + userDataDir].concat(extra || []).concat(['about:blank']);
	const proc = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
	let err = '';
	proc.stderr.on('data', (d) => { err = (err + d).slice(-4000); });
	const b = new Browser(proc);
	b.stderr = () => err;
	return Promise.resolve(b);
}

module.exports = { launch };
