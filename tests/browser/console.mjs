// Drives the admin console in a real headless Chromium (the system's, through
// playwright-core): the acceptance walk of issue 24. Run by the api test `console_browser`,
// which starts the service and passes what it prepared as JSON in the first argument:
//   {"base", "chromium", "admin_key", "subject", "offer_id", "dead_letter_offer_id",
//    "screenshots"?}
// Fails (exit 1, the reason on stderr) on the first unexpected page, and on any violation
// of the console's Content-Security-Policy: the browser enforces it, and the test proves
// that by injecting an inline script once (it must be refused and reported).
// Prints {"ok": true, "steps": [...]} when every step passed.

import { chromium } from 'playwright-core';

const input = JSON.parse(process.argv[2] ?? '{}');
const steps = [];
const violations = [];
let probing = false;

function check(condition, message) {
  if (!condition) throw new Error(message);
}

async function shot(page, name) {
  if (input.screenshots) {
    await page.screenshot({ path: `${input.screenshots}/${name}.png`, fullPage: true });
  }
}

/** Visits `path`; checks the policy header and that the page has no inline script. */
async function visit(page, path) {
  const response = await page.goto(`${input.base}${path}`);
  await strict(page, response);
  return response;
}

async function strict(page, response) {
  const policy = response?.headers()['content-security-policy'] ?? '';
  check(policy.includes("script-src 'self'") && !policy.includes('unsafe-inline'),
    `${page.url()}: no strict policy (${policy})`);
  const inline = await page.evaluate(() => ({
    scripts: document.querySelectorAll('script:not([src])').length,
    styles: document.querySelectorAll('style, [style]').length,
    handlers: [...document.querySelectorAll('*')].filter((el) =>
      [...el.attributes].some((a) => a.name.startsWith('on'))).length,
  }));
  check(inline.scripts === 0 && inline.styles === 0 && inline.handlers === 0,
    `${page.url()}: inline script or style ${JSON.stringify(inline)}`);
}

/** Clicks `locator` and waits for the navigation it starts; checks the page it lands on. */
async function submit(page, locator) {
  const [response] = await Promise.all([page.waitForNavigation(), locator.click()]);
  await strict(page, response);
  return response;
}

function path(page) {
  return new URL(page.url()).pathname;
}

async function run() {
  const browser = await chromium.launch({
    executablePath: input.chromium,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Reported by the browser itself, not by page script (init scripts run outside the CSP).
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
      });
    });
    const page = await context.newPage();
    page.on('console', (message) => {
      const text = message.text();
      if (/Content Security Policy|CSP violation/i.test(text)) {
        (probing ? probeViolations : violations).push(text);
      }
    });
    page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));

    // No session: the sign-in page.
    await visit(page, '/console/offers');
    check(path(page) === '/console/login', `no session: at ${page.url()}`);
    await shot(page, 'sign-in');
    steps.push('no session: sign-in page');

    await page.getByLabel('API key').fill(input.admin_key);
    await submit(page, page.getByRole('button', { name: 'Sign in' }));
    check(path(page) === '/console/offers', `after sign-in at ${page.url()}`);
    steps.push('signed in');
    await shot(page, 'offers');
    // Keyboard: the first Tab reaches the skip link, which then shows.
    await page.keyboard.press('Tab');
    const focused = () => page.evaluate(() => {
      const el = document.activeElement;
      return {
        text: el?.textContent?.trim(),
        left: el?.getBoundingClientRect().left,
        outline: el ? getComputedStyle(el).outlineStyle : 'none',
      };
    });
    const skip = await focused();
    check(skip.text === 'Skip to content' && skip.left >= 0 && skip.outline !== 'none',
      `the first Tab reaches ${JSON.stringify(skip)}, not the visible, outlined skip link`);
    // Then the header's links, each with a visible focus ring.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const offers = await focused();
    check(offers.text === 'Offers' && offers.outline !== 'none',
      `the third Tab reaches ${JSON.stringify(offers)}, not the outlined Offers link`);
    await page.evaluate(() => document.activeElement?.blur());
    steps.push('keyboard: skip link and focus rings');

    // The browser enforces the policy: an injected inline script is refused and reported.
    probing = true;
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true;';
      document.head.appendChild(script);
      await new Promise((resolve) => setTimeout(resolve, 200));
      return window.inlineRan === true;
    });
    await page.waitForTimeout(100);
    probing = false;
    check(!ran, 'an inline script ran: the policy is not enforced');
    check(probeViolations.length > 0, 'the refused inline script was not reported');
    steps.push('inline script refused by the browser');

    // Find the offer by its subject and open it.
    await page.getByLabel('Subject').fill(input.subject);
    await submit(page, page.getByRole('button', { name: 'Filter' }));
    const link = page.getByRole('link', { name: input.offer_id });
    check(await link.count() === 1, `the offer is not listed for subject ${input.subject}`);
    check(await page.locator('tbody tr').count() === 1, 'other subjects are listed');
    await submit(page, link);
    check(path(page) === `/console/offers/${input.offer_id}`, `offer page at ${page.url()}`);
    check((await page.locator('#offer-status').textContent()) === 'CREATED', 'not CREATED');
    const timeline = page.locator('#timeline');
    check(await timeline.getByRole('cell', { name: 'OfferCreated' }).count() === 1,
      'OfferCreated is not on the timeline');
    check(await page.getByRole('img', { name: /QR code/ }).evaluate((img) => img.naturalWidth > 0),
      'the QR code did not load');
    steps.push('offer found by subject; timeline and QR code shown');
    await shot(page, 'offer');

    // Revoke, after confirming.
    await submit(page, page.getByRole('link', { name: 'Revoke…' }));
    check(await page.getByText('Revoking ends it for good').count() === 1, 'no confirmation text');
    await page.getByLabel(/Reason/).fill('the customer asked');
    await submit(page, page.getByRole('button', { name: 'Revoke the offer' }));
    check(path(page) === `/console/offers/${input.offer_id}`, `after revoking at ${page.url()}`);
    check((await page.locator('#offer-status').textContent()) === 'REVOKED', 'not REVOKED');
    check(await timeline.getByRole('cell', { name: 'OfferRevoked' }).count() === 1,
      'OfferRevoked is not on the timeline');
    steps.push('revoked after confirmation: REVOKED');

    // The audit chain.
    await submit(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }));
    await submit(page, page.getByRole('button', { name: 'Verify the chain' }));
    const verdict = await page.locator('#verify-result').textContent();
    check(verdict.includes('The chain is intact'), `verification: ${verdict}`);
    steps.push('audit chain verified');
    await shot(page, 'audit');

    // Integration: re-queue the dead letter.
    await submit(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Integration' }));
    const row = page.locator('#dead-letters tbody tr', { hasText: input.dead_letter_offer_id });
    check(await row.count() === 1, 'the dead letter is not listed');
    await shot(page, 'integration');
    await submit(page, row.getByRole('button', { name: /Re-queue/ }));
    const requeued = await page.locator('#requeue-result').textContent();
    check(requeued.includes('1 dead letter re-queued'), `re-queue: ${requeued}`);
    steps.push('dead letter re-queued');

    // Read-only issuers.
    await submit(page, page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Issuers' }));
    check(await page.locator('#default-configurations').count() === 1, 'no configurations');
    await shot(page, 'issuers');
    steps.push('issuers shown');

    // An issuer created, keyed and configured through the forms.
    await page.getByLabel(/Issuer id/).fill('browser-test');
    await page.getByLabel(/Display name/).fill('Browser Test');
    await submit(page, page.getByRole('button', { name: 'Create the issuer' }));
    check(path(page) === '/console/issuers/browser-test', `after creating at ${page.url()}`);
    await submit(page, page.getByRole('button', { name: /Generate a signing key/ }));
    check(await page.locator('#keys tbody tr', { hasText: 'active' }).count() === 1,
      'the generated key is not active');
    await submit(page, page.getByRole('link', { name: 'Publish a new configuration' }));
    await page.getByLabel('Configuration id').fill('BrowserId');
    await page.getByLabel(/Configuration \(JSON\)/).fill(JSON.stringify({
      vct: 'https://browser.example/id',
      display: [{ name: 'ID', locale: 'en-US' }],
      claims: [{ path: 'given_name', mandatory: true }],
    }));
    await submit(page, page.getByRole('button', { name: 'Publish' }));
    check(path(page) === '/console/issuers/browser-test', `after publishing at ${page.url()}`);
    check(await page.locator('#configurations tbody tr', { hasText: 'BrowserId' }).count() === 1,
      'the published configuration is not listed');
    await shot(page, 'issuer');
    steps.push('issuer created, key generated, configuration published');

    // Readable at 360 px: no page is wider than the screen (tables scroll on their own).
    await page.setViewportSize({ width: 360, height: 800 });
    for (const [name, target] of [
      ['offers', '/console/offers'],
      ['offer', `/console/offers/${input.offer_id}`],
      ['audit', '/console/audit'],
      ['integration', '/console/integration'],
      ['issuers', '/console/issuers'],
      ['issuer', '/console/issuers/browser-test'],
      ['publish', '/console/issuers/browser-test/publish?configuration=BrowserId'],
    ]) {
      await visit(page, target);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      check(width <= 360, `${target} is ${width}px wide at 360px`);
      if (name === 'offers' || name === 'offer') await shot(page, `${name}-360px`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    steps.push('every page fits 360 px');

    // Sign out, then be refused.
    await submit(page, page.getByRole('button', { name: 'Sign out' }));
    check(path(page) === '/console/login', `after sign-out at ${page.url()}`);
    await visit(page, `/console/offers/${input.offer_id}`);
    check(path(page) === '/console/login', `signed out, yet at ${page.url()}`);
    steps.push('signed out and refused');

    check(violations.length === 0, `policy violations: ${violations.join('; ')}`);
  } finally {
    await browser.close();
  }
}

const probeViolations = [];
run()
  .then(() => {
    console.log(JSON.stringify({ ok: true, steps }));
  })
  .catch((error) => {
    console.error(`console browser test failed after [${steps.join(', ')}]: ${error.message}`);
    process.exit(1);
  });
