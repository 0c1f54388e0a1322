/* review.js — dedupe's review page (embedded into dedupe at build time; see
 * lib/report/report_html.h).  The page holds only the summary and a few numbers
 * (#azd-meta); the groups come from the folder next to it in chunks, each a script that
 * calls AZD.chunk(n, groups), loaded with <script src> because file:// pages may not
 * fetch.  index.js (AZD.index) has every group's size, savings, evidence rank, stages,
 * evidence kinds and folders, for sorting and filtering.  Everything from the records is
 * put into the page as text (textContent, attributes), never as markup.  Decisions are
 * kept in localStorage under the report's key and saved as the NDJSON decisions file
 * that dedupe --decisions reads. */
(function () {
	'use strict';
	var meta = JSON.parse(document.getElementById('azd-meta').textContent);
	var DIR = encodeURIComponent(meta.dir) + '/';
	var PAGE = 20;
	var STORE = 'azdedup-review:' + meta.key;
	var chunks = {}, waiting = {}, index = null;
	var order = null, page = 0, focus = 0, cur = 0;
	var dec = load();
	var body = document.body;

	function el(tag, cls, text) {
		var e = document.createElement(tag);
		if (cls) e.className = cls;
		if (text !== undefined && text !== null) e.textContent = String(text);
		return e;
	}
	function bytes(n) {
		if (n < 0) return 'size unknown';
		if (n < 10000) return n + ' B';
		if (n < 10000000) return (n / 1e3).toFixed(1) + ' kB';
		return (n / 1e6).toFixed(1) + ' MB';
	}
	/* a name that wraps after '/', '_', '-' and spaces, not inside a word (a word longer than
	 * the caption still breaks: overflow-wrap) */
	function nameNode(name) {
		var s = el('span', 'name'), parts = String(name).split(/(?<=[\/_\- ])/);
		for (var i = 0; i < parts.length; i++) {
			if (i) s.appendChild(document.createElement('wbr'));
			s.appendChild(document.createTextNode(parts[i]));
		}
		s.title = name;
		return s;
	}
	function load() {
		try { return JSON.parse(localStorage.getItem(STORE) || '{}') || {}; }
		catch (e) { return {}; }
	}
	function store() {
		try { localStorage.setItem(STORE, JSON.stringify(dec)); } catch (e) { /* full */ }
		status();
	}

	/* --- loading ------------------------------------------------------------------- */
	function script(src, fail) {
		var s = document.createElement('script');
		s.src = src;
		s.onerror = fail;
		document.head.appendChild(s);
	}
	window.AZD = {
		chunk: function (n, groups) {
			chunks[n] = groups;
			var w = waiting[n] || [];
			delete waiting[n];
			w.forEach(function (f) { f(); });
		},
		index: function (x) {
			var off = new Int32Array(x.n.length + 1), k = 0;
			for (var i = 0; i < x.n.length; i++) {
				off[i] = k;
				while (x.fi[k] !== -1) k++;
				k++;
			}
			off[x.n.length] = k;
			x.off = off;
			index = x;
			indexReady();
		}
	};
	function needChunk(n, then) {
		if (chunks[n]) return then();
		if (waiting[n]) return waiting[n].push(then);
		waiting[n] = [then];
		script(DIR + 'g/' + ('00000' + n).slice(-6) + '.js', function () {
			status('could not load ' + meta.dir + '/g/' + n + '.js (is the folder next to the page?)');
		});
	}
	function group(pos) {
		var c = chunks[Math.floor(pos / meta.chunk)];
		return c ? c[pos % meta.chunk] : null;
	}

	/* --- decisions ----------------------------------------------------------------- */
	/* dec[pos] = {m: [[sha, name]...] (the members, keeper first), keeper: i or absent,
	 * nd: {i: 1} not duplicates, parts: [[i...]] split off, rev: reviewed, at: time} */
	function state(pos) {
		var g = group(pos), d = dec[pos];
		if (!d) {
			d = { m: g.m.map(function (m) { return [m.s, m.n]; }), nd: {}, parts: [] };
			dec[pos] = d;
		}
		d.at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
		return d;
	}
	function keeperOf(d) { return d && d.keeper !== undefined ? d.keeper : 0; }
	function inPart(d, i) {
		for (var p = 0; d && p < d.parts.length; p++)
			if (d.parts[p].indexOf(i) >= 0) return p;
		return -1;
	}
	function empty(d) {
		return d.keeper === undefined && !Object.keys(d.nd).length && !d.parts.length && !d.rev;
	}
	function settle(pos) {
		if (dec[pos] && empty(dec[pos])) delete dec[pos];
		store();
		redraw(pos);
	}
	var picks = {};
	var act = {
		keeper: function (pos, i) {
			var g = group(pos), d = state(pos);
			if (!g.m[i].s) return;
			if (i === 0) delete d.keeper; else d.keeper = i;
			delete d.nd[i];
			var p = inPart(d, i);
			if (p >= 0) {
				d.parts[p].splice(d.parts[p].indexOf(i), 1);
				if (!d.parts[p].length) d.parts.splice(p, 1);
			}
			settle(pos);
		},
		notdup: function (pos, i) {
			var g = group(pos), d = state(pos), k = keeperOf(d);
			if (i === k || !g.m[i].s || g.m[i].s === g.m[k].s) return settle(pos);
			if (d.nd[i]) delete d.nd[i]; else d.nd[i] = 1;
			settle(pos);
		},
		pick: function (pos, i) {
			var d = dec[pos];
			if (i === keeperOf(d) || !group(pos).m[i].s || inPart(d, i) >= 0) return;
			var p = picks[pos] || (picks[pos] = {});
			if (p[i]) delete p[i]; else p[i] = 1;
			redraw(pos);
		},
		split: function (pos) {
			var p = Object.keys(picks[pos] || {}).map(Number).sort(function (a, b) { return a - b; });
			if (!p.length) return;
			var d = state(pos);
			d.parts.push(p);
			p.forEach(function (i) { delete d.nd[i]; });
			delete picks[pos];
			settle(pos);
		},
		reviewed: function (pos) {
			var d = state(pos);
			if (d.rev) delete d.rev; else d.rev = 1;
			settle(pos);
		},
		undo: function (pos) {
			delete dec[pos];
			delete picks[pos];
			store();
			redraw(pos);
		}
	};
	/* the decisions file: per decided group in page order, the keeper, the members that
	 * are not duplicates of it, the parts split off, and the group as reviewed */
	function decisions() {
		var out = [];
		Object.keys(dec).map(Number).sort(function (a, b) { return a - b; }).forEach(function (pos) {
			var d = dec[pos], k = keeperOf(d), ks = d.m[k][0], at = d.at;
			var uniq = function (a) { return a.filter(function (s, i) { return s && a.indexOf(s) === i; }); };
			if (d.keeper !== undefined)
				out.push({ op: 'keeper', sha256: ks, name: d.m[k][1], at: at });
			Object.keys(d.nd).map(Number).sort(function (a, b) { return a - b; }).forEach(function (i) {
				out.push({ op: 'not_duplicate', sha256: d.m[i][0], of: ks, name: d.m[i][1], at: at });
			});
			d.parts.forEach(function (part) {
				var a = uniq(part.map(function (i) { return d.m[i][0]; }));
				var from = uniq(d.m.map(function (m, i) { return part.indexOf(i) < 0 ? m[0] : null; }))
					.filter(function (s) { return a.indexOf(s) < 0; });
				if (a.length && from.length)    /* else nothing to keep apart */
					out.push({ op: 'split', sha256: a, from: from, at: at });
			});
			if (d.rev) {
				var left = uniq(d.m.map(function (m, i) {
					return d.nd[i] || inPart(d, i) >= 0 ? null : m[0];
				}));
				out.push({ op: 'reviewed', group: left, at: at });
			}
		});
		return out.map(function (o) { return JSON.stringify(o); }).join('\n') + (out.length ? '\n' : '');
	}
	function save() {
		var text = decisions();
		var a = el('a');
		a.href = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
		a.download = 'decisions.ndjson';
		document.body.appendChild(a);
		a.click();
		a.remove();
		body.dataset.saved = String(text ? text.split('\n').length - 1 : 0);
	}

	/* --- drawing ------------------------------------------------------------------- */
	var EVWORD = { exact: 'same bytes', hash: 'hashes', chain: 'chain', keypoints: 'keypoints',
		caption: 'caption' };
	function figure(pos, g, i, d) {
		var m = g.m[i], k = keeperOf(d), f = el('figure');
		var cls = i === k ? (i === 0 ? 'keeper' : 'newkeeper') : 'dup';
		if (d && d.nd[i]) cls = 'notdup';
		if (picks[pos] && picks[pos][i]) cls += ' pick';
		f.className = cls;
		f.dataset.i = String(i);
		if (m.s) f.dataset.sha = m.s;
		var pic = el('div', 'pic');
		if (m.t) {
			var img = el('img');
			img.loading = 'lazy';
			img.alt = m.n;
			img.src = DIR + 't/' + m.t.slice(0, 2) + '/' + m.t + '.jpg';
			pic.appendChild(img);
		} else {
			pic.className = 'pic none';
			pic.textContent = 'no thumbnail (featx --thumb)';
		}
		pic.addEventListener('click', function () { compare(pos, i); });
		f.appendChild(pic);
		var c = el('figcaption');
		var tag = i === k ? (i === 0 ? 'keeper' : 'new keeper') : d && d.nd[i] ? 'not a duplicate' :
			i === 0 ? 'was keeper' : m.st || 'duplicate';
		c.appendChild(el('span', 'tag', tag));
		c.appendChild(nameNode(m.n));
		c.appendChild(el('br'));
		c.appendChild(el('span', 'meta', (m.w > 0 && m.h > 0 ? m.w + '\u00d7' + m.h + ' \u00b7 ' : '') +
			bytes(m.b) + (i > 0 ? ' \u00b7 phash ' + m.d[0] + ' dhash ' + m.d[1] + ' whash ' + m.d[2] +
			(m.o > 1 ? ' \u00b7 turned (orientation ' + m.o + ')' : '') : '')));
		if (m.y) {
			c.appendChild(el('br'));
			c.appendChild(el('span', 'why', m.y));
		}
		f.appendChild(c);
		var b = el('div', 'mact');
		function btn(cl, text, title, fn, off) {
			var x = el('button', cl, text);
			x.title = title;
			x.disabled = !!off;
			x.addEventListener('click', fn);
			b.appendChild(x);
		}
		var noSha = !m.s;
		btn('b-keep', 'keeper', 'make this the keeper (K)', function () { act.keeper(pos, i); }, noSha || i === k);
		btn('b-nd', d && d.nd[i] ? 'is a duplicate' : 'not dup', 'not a duplicate of the keeper (n)',
			function () { act.notdup(pos, i); }, noSha || i === k || m.s === g.m[k].s);
		btn('b-pick', picks[pos] && picks[pos][i] ? 'unpick' : 'pick', 'pick for a split (x)',
			function () { act.pick(pos, i); }, noSha || i === k || inPart(d, i) >= 0);
		btn('b-cmp', 'compare', 'side by side with the keeper (c)', function () { compare(pos, i); });
		f.appendChild(b);
		return f;
	}
	function section(pos) {
		var g = group(pos), d = dec[pos], s = el('section', 'group');
		s.dataset.pos = String(pos);
		s.dataset.id = String(g.id);
		s.dataset.size = String(g.m.length);
		s.dataset.saved = String(g.saved);
		s.dataset.rank = String(g.rank);
		if ((d && d.rev) || g.rv) s.classList.add('reviewed');
		var h = el('h2');
		h.appendChild(el('span', null, 'Group ' + g.id + ' \u00b7 ' + g.m.length + ' images \u00b7 ' +
			bytes(g.saved) + ' to save'));
		var kinds = {};
		g.m.slice(1).forEach(function (m) { kinds[EVWORD[m.k] || m.k] = 1; });
		h.appendChild(el('span', 'ev', 'evidence: ' + Object.keys(kinds).join(', ')));
		if (d && d.rev) h.appendChild(el('span', 'done', '\u2713 reviewed'));
		else if (g.rv) h.appendChild(el('span', 'done', '\u2713 reviewed before'));
		var a = el('span', 'acts');
		function gb(cl, text, title, fn, off) {
			var x = el('button', cl, text);
			x.title = title;
			x.disabled = !!off;
			x.addEventListener('click', fn);
			a.appendChild(x);
		}
		gb('b-split', 'split picked', 'the picked members go apart from the rest (s)',
			function () { act.split(pos); }, !picks[pos] || !Object.keys(picks[pos]).length);
		gb('b-rev', d && d.rev ? 'not reviewed' : 'reviewed', 'mark the group reviewed (r)',
			function () { act.reviewed(pos); });
		gb('b-undo', 'undo', 'forget this group\u2019s decisions (u)', function () { act.undo(pos); }, !d);
		h.appendChild(a);
		s.appendChild(h);
		var row = el('div', 'row');
		s.appendChild(row);
		var k = keeperOf(d);
		row.appendChild(figure(pos, g, k, d));
		for (var i = 0; i < g.m.length; i++)
			if (i !== k && inPart(d, i) < 0) row.appendChild(figure(pos, g, i, d));
		(d ? d.parts : []).forEach(function (part) {
			var r = el('div', 'row apart');
			part.forEach(function (j) { r.appendChild(figure(pos, g, j, d)); });
			s.appendChild(r);
		});
		s.addEventListener('click', function () { setFocus(pos, true); });
		return s;
	}
	function redraw(pos) {
		var old = box.querySelector('section[data-pos="' + pos + '"]');
		if (old) {
			var n = section(pos);
			if (old.classList.contains('focus')) n.classList.add('focus');
			box.replaceChild(n, old);
			markCur();
		}
		status();
	}

	/* --- the page's frame ------------------------------------------------------------ */
	var bar = el('div'), box = el('div'), pager = el('div');
	bar.id = 'bar';
	box.id = 'groups';
	pager.id = 'pager';
	function control(label, node) {
		var l = el('label', null, label + ' ');
		l.appendChild(node);
		bar.appendChild(l);
		return node;
	}
	function select(opts) {
		var s = el('select');
		opts.forEach(function (o) {
			var x = el('option', null, o[1]);
			x.value = o[0];
			s.appendChild(x);
		});
		s.disabled = true;
		return s;
	}
	var sortSel = control('Sort', select([['attention', 'weakest evidence first'],
		['saved', 'most bytes saved'], ['size', 'largest groups']]));
	var stageSel = control('Stage', select([['', 'any'], ['1', 'exact'], ['2', 'near'], ['4', 'local']]));
	var evSel = control('Evidence', select([['', 'any'], ['1', 'same bytes'], ['2', 'hashes'],
		['4', 'chain'], ['8', 'keypoints'], ['16', 'caption']]));
	var folderIn = control('Folder', el('input'));
	folderIn.placeholder = 'prefix, e.g. photos/2019/';
	folderIn.disabled = true;
	var saveBtn = el('button', null, 'Save decisions');
	saveBtn.id = 'save';
	saveBtn.addEventListener('click', save);
	bar.appendChild(saveBtn);
	var helpBtn = el('button', null, '?');
	helpBtn.title = 'keyboard shortcuts';
	helpBtn.addEventListener('click', function () { help.classList.toggle('on'); });
	bar.appendChild(helpBtn);
	var stat = el('span');
	stat.id = 'status';
	bar.appendChild(stat);
	var prevBtn = el('button', 'b-prev', '\u2190 previous'), nextBtn = el('button', 'b-next', 'next \u2192');
	var pageInfo = el('span');
	prevBtn.addEventListener('click', function () { go(page - 1); });
	nextBtn.addEventListener('click', function () { go(page + 1); });
	pager.appendChild(prevBtn);
	pager.appendChild(pageInfo);
	pager.appendChild(nextBtn);
	var help = el('div');
	help.id = 'help';
	[['j / k', 'next / previous group'], ['h / l', 'previous / next image in the group'],
		['K', 'make the image the keeper'], ['n', 'not a duplicate of the keeper'],
		['x', 'pick the image for a split'], ['s', 'split the picked images off'],
		['r', 'mark the group reviewed'], ['u', 'undo the group\u2019s decisions'],
		['c', 'compare the image with the keeper'], ['f', 'flicker / side by side (compare)'],
		['Esc', 'close'], ['[ / ]', 'previous / next page'], ['?', 'this help']].forEach(function (r) {
		var p = el('div');
		p.appendChild(el('kbd', null, r[0]));
		p.appendChild(document.createTextNode(' ' + r[1]));
		help.appendChild(p);
	});
	var ov = el('div');
	ov.id = 'overlay';
	body.appendChild(bar);
	body.appendChild(box);
	body.appendChild(pager);
	body.appendChild(help);
	body.appendChild(ov);

	function status(msg) {
		var n = order ? order.length : meta.groups, first = page * PAGE;
		var nd = decisions().split('\n').length - 1;
		stat.textContent = msg || ((n ? (first + 1) + '\u2013' + Math.min(n, first + PAGE) : '0') + ' of ' +
			n + ' groups' + (n !== meta.groups ? ' (filtered from ' + meta.groups + ')' : '') +
			(index ? '' : ' \u00b7 loading the index\u2026') + ' \u00b7 ' + nd + ' decision' + (nd === 1 ? '' : 's'));
		saveBtn.textContent = 'Save decisions (' + nd + ')';
		body.dataset.decisions = String(nd);
		pageInfo.textContent = 'page ' + (page + 1) + ' of ' + Math.max(1, Math.ceil(n / PAGE));
		prevBtn.disabled = page <= 0;
		nextBtn.disabled = (page + 1) * PAGE >= n;
	}
	function at(i) { return order ? order[i] : i; }
	function count() { return order ? order.length : meta.groups; }
	var drawing = 0;
	function go(p, then) {
		var n = count();
		p = Math.max(0, Math.min(p, Math.ceil(n / PAGE) - 1));
		page = Math.max(0, p);
		var first = page * PAGE, last = Math.min(n, first + PAGE), need = {}, left = 0;
		var ticket = ++drawing;
		body.dataset.ready = '0';
		for (var i = first; i < last; i++) need[Math.floor(at(i) / meta.chunk)] = 1;
		var keys = Object.keys(need);
		function draw() {
			if (ticket !== drawing) return;
			box.textContent = '';
			for (var i = first; i < last; i++) box.appendChild(section(at(i)));
			if (!body.dataset.firstRender && last > first)
				body.dataset.firstRender = performance.now().toFixed(1);
			body.dataset.page = String(page);
			body.dataset.shown = String(last - first);
			body.dataset.ready = '1';
			if (focus < first || focus >= last) focus = first;
			setFocus(at(focus), false);
			status();
			if (then) then();
		}
		left = keys.length;
		if (!left) return draw();
		keys.forEach(function (c) { needChunk(+c, function () { if (--left === 0) draw(); }); });
	}
	function setFocus(pos, fromClick) {
		var s = box.querySelectorAll('section.group');
		for (var i = 0; i < s.length; i++) {
			var on = +s[i].dataset.pos === pos;
			s[i].classList.toggle('focus', on);
			if (on) {
				focus = page * PAGE + i;
				if (!fromClick && document.activeElement !== document.body) s[i].scrollIntoView({ block: 'nearest' });
			}
		}
		markCur();
	}
	function focused() {
		var s = box.querySelector('section.focus');
		return s ? +s.dataset.pos : -1;
	}
	function markCur() {
		var s = box.querySelector('section.focus'), fs;
		box.querySelectorAll('figure.cur').forEach(function (f) { f.classList.remove('cur'); });
		if (!s) return;
		fs = s.querySelectorAll('figure');
		if (!fs.length) return;
		cur = Math.max(0, Math.min(cur, fs.length - 1));
		fs[cur].classList.add('cur');
	}
	function curMember() {
		var f = box.querySelector('figure.cur');
		return f ? +f.dataset.i : -1;
	}
	function move(delta) {
		var n = count(), f = Math.max(0, Math.min(n - 1, focus + delta));
		cur = 0;
		if (Math.floor(f / PAGE) !== page) {
			focus = f;
			go(Math.floor(f / PAGE));
		} else {
			setFocus(at(f), false);
			var s = box.querySelector('section.focus');
			if (s) s.scrollIntoView({ block: 'nearest' });
		}
	}

	/* --- sorting and filtering (once the index is in) ------------------------------------ */
	function apply() {
		if (!index) return;
		var n = index.n.length, st = +stageSel.value, ev = +evSel.value, pre = folderIn.value;
		var fok = null, list = [];
		if (pre) {
			fok = new Uint8Array(index.folders.length);
			for (var f = 0; f < index.folders.length; f++)
				fok[f] = index.folders[f].lastIndexOf(pre, 0) === 0 ? 1 : 0;
		}
		for (var i = 0; i < n; i++) {
			if (st && !(index.st[i] & st)) continue;
			if (ev && !(index.ev[i] & ev)) continue;
			if (fok) {
				var hit = 0;
				for (var k = index.off[i]; k < index.off[i + 1] - 1; k++)
					if (fok[index.fi[k]]) { hit = 1; break; }
				if (!hit) continue;
			}
			list.push(i);
		}
		var by = sortSel.value;
		if (by === 'saved') list.sort(function (a, b) { return index.saved[b] - index.saved[a] || a - b; });
		else if (by === 'size') list.sort(function (a, b) { return index.n[b] - index.n[a] || a - b; });
		order = list;
		focus = 0;
		go(0, function () { body.dataset.sorted = by; });
	}
	function indexReady() {
		[sortSel, stageSel, evSel, folderIn].forEach(function (c) { c.disabled = false; });
		var h = /^#sort=(attention|saved|size)$/.exec(location.hash);
		if (h) {
			sortSel.value = h[1];
			apply();
		} else {
			body.dataset.sorted = 'attention';
			status();
		}
		body.dataset.indexMs = performance.now().toFixed(1);
		body.dataset.index = '1';
	}
	[sortSel, stageSel, evSel].forEach(function (c) { c.addEventListener('change', apply); });
	folderIn.addEventListener('input', apply);

	/* --- comparing with the keeper ------------------------------------------------------ */
	var flick = null;
	function compare(pos, i) {
		var g = group(pos), d = dec[pos], k = keeperOf(d);
		if (!g) return;
		ov.textContent = '';
		var top = el('div', 'top'), pair = el('div', 'pair');
		function side(m, label) {
			var s = el('div');
			var cap = el('div', 'cap');
			cap.appendChild(el('b', null, label + ': '));
			cap.appendChild(nameNode(m.n));
			cap.appendChild(document.createTextNode(' \u00b7 ' + (m.w > 0 ? m.w + '\u00d7' + m.h + ' \u00b7 ' : '') + bytes(m.b)));
			s.appendChild(cap);
			if (m.u && /^(file|https?):/.test(m.u)) {
				var img = el('img');
				img.alt = m.n;
				img.src = m.u;
				img.addEventListener('error', function () {
					img.replaceWith(el('div', 'miss', 'the original is not reachable from here'));
				});
				s.appendChild(img);
				var a = el('a', null, 'open the original');
				a.href = m.u;
				a.target = '_blank';
				a.rel = 'noopener noreferrer';
				a.style.color = '#9cf';
				s.appendChild(a);
			} else if (m.t) {
				var t = el('img');
				t.alt = m.n;
				t.src = DIR + 't/' + m.t.slice(0, 2) + '/' + m.t + '.jpg';
				s.appendChild(t);
				s.appendChild(el('div', 'miss', 'thumbnail: the original is not reachable from here'));
			} else {
				s.appendChild(el('div', 'miss', 'no picture'));
			}
			return s;
		}
		var other = i === k ? (k === 0 ? 1 : 0) : i;
		if (other >= g.m.length) other = k;
		pair.appendChild(side(g.m[k], 'keeper'));
		pair.appendChild(side(g.m[other], i === k ? 'member' : 'member ' + other));
		var fb = el('button', null, 'flicker (f)'), cb = el('button', null, 'close (Esc)');
		fb.addEventListener('click', flicker);
		cb.addEventListener('click', closeOv);
		top.appendChild(el('span', null, 'Group ' + g.id));
		top.appendChild(fb);
		top.appendChild(cb);
		ov.appendChild(top);
		ov.appendChild(pair);
		ov.classList.add('on');
	}
	function flicker() {
		var p = ov.querySelector('.pair');
		if (!p) return;
		if (flick) {
			clearInterval(flick);
			flick = null;
			p.classList.remove('flicker', 'b');
		} else {
			p.classList.add('flicker');
			flick = setInterval(function () { p.classList.toggle('b'); }, 600);
		}
	}
	function closeOv() {
		if (flick) clearInterval(flick);
		flick = null;
		ov.classList.remove('on');
		ov.textContent = '';
	}

	/* --- keys --------------------------------------------------------------------------- */
	document.addEventListener('keydown', function (e) {
		if (e.target && (e.target.tagName === 'INPUT' || e.target.tagName === 'SELECT')) return;
		if (e.ctrlKey || e.metaKey || e.altKey) return;
		var pos = focused(), i = curMember(), key = e.key;
		if (ov.classList.contains('on')) {
			if (key === 'Escape') closeOv();
			else if (key === 'f') flicker();
			return;
		}
		switch (key) {
		case 'j': move(1); break;
		case 'k': move(-1); break;
		case 'l': case 'ArrowRight': cur++; markCur(); break;
		case 'h': case 'ArrowLeft': cur = Math.max(0, cur - 1); markCur(); break;
		case 'K': if (pos >= 0 && i >= 0) act.keeper(pos, i); break;
		case 'n': if (pos >= 0 && i >= 0) act.notdup(pos, i); break;
		case 'x': if (pos >= 0 && i >= 0) act.pick(pos, i); break;
		case 's': if (pos >= 0) act.split(pos); break;
		case 'r': if (pos >= 0) act.reviewed(pos); break;
		case 'u': if (pos >= 0) act.undo(pos); break;
		case 'c': case 'Enter': if (pos >= 0 && i >= 0) compare(pos, i); break;
		case ']': focus = (page + 1) * PAGE; go(page + 1); break;
		case '[': focus = (page - 1) * PAGE; go(page - 1); break;
		case '?': help.classList.toggle('on'); break;
		case 'Escape': help.classList.remove('on'); break;
		default: return;
		}
		e.preventDefault();
	});

	status();
	if (meta.groups === 0) {
		box.appendChild(el('p', null, 'No duplicate groups.'));
		body.dataset.firstRender = performance.now().toFixed(1);
		body.dataset.ready = '1';
	} else {
		go(0, function () {
			script(DIR + 'index.js', function () { status('could not load the index'); });
		});
	}
})();
