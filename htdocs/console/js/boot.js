// Classic (non-module) script: if the ES modules could not load (for example
// the vendor aliases of conf/console.conf are missing, or `npm ci` was not
// run), say so instead of showing an empty page.
window.addEventListener('load', function () {
    setTimeout(function () {
        if (window.rfamtConsoleStarted) return;
        var v = document.getElementById('view');
        if (!v) return;
        v.innerHTML = '';
        var p = document.createElement('div');
        p.className = 'banner banner-error';
        p.setAttribute('role', 'alert');
        p.id = 'boot-error';
        p.textContent = 'The console could not start: its JavaScript files did not load. ' +
            'Ask the administrator to check that conf/console.conf is included in the Apache ' +
            'configuration and that the npm packages are installed (npm ci).';
        v.appendChild(p);
    }, 4000);
});
