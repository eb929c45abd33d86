// The .properties reader behind liquibase.properties and flyway.conf (text/java-properties.ts). The
// expected maps of readJavaProperties were produced by java.util.Properties.load(Reader) itself
// (OpenJDK 17) from the same texts (and 20,000 random texts of =, :, blanks, backslashes, line ends,
// # and ! gave the same maps as Java); readFlywayConf's follow Flyway's ConfigUtils.loadConfigurationFromString.

import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryHost } from '../../server/src/engine/host';
import { liquibaseSettings } from '../../server/src/engine/runner/liquibase-master';
import { readFlywaySettings } from '../../server/src/engine/runner/placeholders';
import { javaTrim, readFlywayConf, readJavaProperties } from '../../server/src/engine/text/java-properties';

const read = (text: string) => Object.fromEntries(readJavaProperties(text));

describe('readJavaProperties (java.util.Properties.load)', () => {
  it('key=value, key: value, key value (space, tab, form feed); a key alone has an empty value', () => {
    assert.deepEqual(read('a=1\nb: 2\nc 3\nd\t4\ne\f5\nf = 6\ng  :  7\nh\n'), { a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7', h: '' });
    assert.deepEqual(read('a=\nb:\nc\nd   \n'), { a: '', b: '', c: '', d: '' });
  });

  it('whitespace around the separator is skipped, and one separator only: a second = or : is the value\'s', () => {
    assert.deepEqual(read('a = = x\nb :=y\nc  = : z\nd=:w\n'), { a: '= x', b: '=y', c: ': z', d: ':w' });
    assert.deepEqual(read('   spaced.key   =   v\n'), { 'spaced.key': 'v' });
    assert.deepEqual(read('url=jdbc:postgresql://h:5432/db?x=y\n'), { url: 'jdbc:postgresql://h:5432/db?x=y' });
  });

  it('a value keeps its trailing whitespace, and an escaped leading space', () => {
    assert.deepEqual(read('a=  lead and trail  \nb=\\  escaped lead\n'), { a: 'lead and trail  ', b: '  escaped lead' });
  });

  it('# and ! comments (also indented) and blank lines are skipped; # inside a value is the value\'s', () => {
    assert.deepEqual(read('# c1\n! c2\n   # indented\n\t! tabbed\nx=1 # not a comment\n#a=2\n'), { x: '1 # not a comment' });
    assert.deepEqual(read('\n\n   \n\t\f\nk=v\n\n'), { k: 'v' });
  });

  it('lines end at \\n, \\r\\n or \\r; the last line needs no terminator', () => {
    assert.deepEqual(read('a=1\r\nb=2\rc=3\n'), { a: '1', b: '2', c: '3' });
    assert.deepEqual(read('a=1\nb=2'), { a: '1', b: '2' });
  });

  it('a trailing backslash continues the line, the next line\'s leading whitespace dropped', () => {
    assert.deepEqual(read('a=one \\\n    two \\\n\tthree\nb=motor\\\ncycle\n'), { a: 'one two three', b: 'motorcycle' });
    assert.deepEqual(read('a=x\\\r\n   y\r\nb=z\\\r  w\r\n'), { a: 'xy', b: 'zw' });
  });

  it('only an odd number of backslashes continues a line', () => {
    assert.deepEqual(read('a=x\\\\\nb=y\n'), { a: 'x\\', b: 'y' });
    assert.deepEqual(read('a=x\\\\\\\n  y\n'), { a: 'x\\y' });
  });

  it('a continuation line starting with # is data; a comment is never continued', () => {
    assert.deepEqual(read('a=x\\\n  # still value\nb=1\n'), { a: 'x# still value', b: '1' });
    assert.deepEqual(read('# comment \\\nb=1\n'), { b: '1' });
  });

  it('a continuation onto a blank line or the end of the text ends the value there', () => {
    assert.deepEqual(read('a=x\\\n\nb=1\n'), { a: 'x', b: '1' });
    assert.deepEqual(read('a=x\\'), { a: 'x' });
    assert.deepEqual(read('\\\n\nb=1\n'), { b: '1' });
  });

  it('after a lone backslash the logical line is still empty: a # there starts a comment; at the very end it is the pair "" = ""', () => {
    assert.deepEqual(read('\\\n  # comment\nb=1\n'), { b: '1' });
    assert.deepEqual(read('a=1\n\\'), { a: '1', '': '' });
    assert.deepEqual(read('=x\n\\\n'), { '': '' });
  });

  it('escapes: \\t \\n \\r \\f, \\uXXXX (surrogate pairs too), and any other character as itself', () => {
    assert.deepEqual(read('tab=a\\tb\nnl=a\\nb\ncr=a\\rb\nff=a\\fb\nu=\\u0041\\u00e9\\u20AC\nother=\\q\\z\\\\\nsurr=\\ud83d\\ude00\n'), {
      tab: 'a\tb',
      nl: 'a\nb',
      cr: 'a\rb',
      ff: 'a\fb',
      u: 'Aé€',
      other: 'qz\\',
      surr: '😀',
    });
  });

  it('escaped separators, whitespace and comment characters belong to the key', () => {
    assert.deepEqual(read('a\\=b=1\nc\\:d:2\ne\\ f 3\n\\#g=4\n\\!h=5\nk\\u0041y=6\n'), { 'a=b': '1', 'c:d': '2', 'e f': '3', '#g': '4', '!h': '5', kAy: '6' });
  });

  it('the later of two values of a key wins; text outside ASCII is read as it is', () => {
    assert.deepEqual(read('a=1\na=2\n'), { a: '2' });
    assert.deepEqual(read('name=héllo wörld\n'), { name: 'héllo wörld' });
  });

  it('a malformed \\u escape (where Java throws) is kept as written', () => {
    assert.deepEqual(read('a=\\u00zz!\nb=\\u12\n'), { a: '\\u00zz!', b: '\\u12' });
  });
});

describe('javaTrim', () => {
  it('removes every character up to U+0020 at both ends, nothing else', () => {
    assert.equal(javaTrim(' \t\f\u0001 a b \r\n'), 'a b');
    assert.equal(javaTrim('\u00a0a\u00a0'), '\u00a0a\u00a0');
  });
});

describe('readFlywayConf (Flyway\'s reading of flyway.conf)', () => {
  const conf = (text: string, env?: NodeJS.ProcessEnv) => Object.fromEntries(readFlywayConf(text, env));

  it('the Java properties grammar: separators, comments, blank lines; values trimmed as Flyway trims each line', () => {
    assert.deepEqual(conf('# settings\nflyway.url = jdbc:postgresql://h/db\nflyway.table: history  \n  flyway.schemas app\n! done\n'), {
      'flyway.url': 'jdbc:postgresql://h/db',
      'flyway.table': 'history',
      'flyway.schemas': 'app',
    });
  });

  it('a backslash is a plain character: Windows paths, \\t and \\u as written', () => {
    assert.deepEqual(conf('flyway.locations=filesystem:C:\\sql\\tables\nflyway.placeholders.x=a\\tb\\u0041\n'), {
      'flyway.locations': 'filesystem:C:\\sql\\tables',
      'flyway.placeholders.x': 'a\\tb\\u0041',
    });
  });

  it('a backslash ending a line continues the value, unless the next line is empty or a flyway. setting', () => {
    assert.deepEqual(conf('flyway.placeholders.list=one, \\\n    two, \\\n    three\nflyway.table=t\n'), { 'flyway.placeholders.list': 'one, two, three', 'flyway.table': 't' });
    assert.deepEqual(conf('flyway.locations=C:\\sql\\\nflyway.table=t\n'), { 'flyway.locations': 'C:\\sql\\', 'flyway.table': 't' });
    assert.deepEqual(conf('flyway.locations=C:\\sql\\\n\nflyway.table=t\n'), { 'flyway.locations': 'C:\\sql\\', 'flyway.table': 't' });
    assert.deepEqual(conf('flyway.locations=C:\\sql\\'), { 'flyway.locations': 'C:\\sql\\' });
    // A next line comparing with == or != continues a boolean expression.
    assert.deepEqual(conf('shouldExecute=${env}==prod || \\\nflyway.x==y\n'), { shouldExecute: '${env}==prod || flyway.x==y' });
  });

  it('${NAME} is the environment variable NAME (empty when unset) when an environment is given; left as written without one', () => {
    const text = 'flyway.placeholders.owner=${OWNER}\nflyway.placeholders.none=[${UNSET_ONE}]\n';
    assert.deepEqual(conf(text, { OWNER: 'alice' }), { 'flyway.placeholders.owner': 'alice', 'flyway.placeholders.none': '[]' });
    assert.deepEqual(conf(text), { 'flyway.placeholders.owner': '${OWNER}', 'flyway.placeholders.none': '[${UNSET_ONE}]' });
  });

  it('\\r\\n line ends', () => {
    assert.deepEqual(conf('flyway.a=1\r\nflyway.b=x \\\r\n  y\r\n'), { 'flyway.a': '1', 'flyway.b': 'x y' });
  });
});

describe('the settings read through it', () => {
  it('liquibase.properties: any separator, continuations, escapes; values trimmed as Liquibase trims them; keys matched as Liquibase matches them', () => {
    const host = createMemoryHost({
      '/p/liquibase.properties': '! Liquibase\nliquibase.command.changeLogFile db/changelog/master.yaml\nsearch-path: res, \\\n    other\ncontexts = dev\\u002c test   \nlabel-filter=core\n',
      '/p/res/db/changelog/master.yaml': 'databaseChangeLog: []\n',
    });
    const settings = liquibaseSettings('/p', host, {});
    assert.equal(settings.changelogFile, '/p/res/db/changelog/master.yaml');
    assert.deepEqual(settings.searchPaths, ['/p/res', '/p/other']);
    assert.equal(settings.contexts, 'dev, test');
    assert.equal(settings.labelFilter, 'core');
  });

  it('flyway.conf: any separator, Windows backslashes as written, ${VAR} from the environment', () => {
    const host = createMemoryHost({ '/p/flyway.conf': 'flyway.schemas app\nflyway.table: hist\nflyway.placeholders.dir=C:\\data\\new\nflyway.placeholders.owner=${OWNER}\n' });
    const settings = readFlywaySettings('/p', host, { OWNER: 'alice' });
    assert.equal(settings.schema, 'app');
    assert.equal(settings.table, 'hist');
    assert.deepEqual(Object.fromEntries(settings.placeholders), { dir: 'C:\\data\\new', owner: 'alice' });
  });
});

// Flyway 10+'s flyway.toml: the selected environment's [environments.NAME.flyway] table overrides the
// [flyway] settings, and wins over the FLYWAY_* variables too, as Flyway's ClassicConfiguration getters
// read the environment's overrides before the [flyway] model the variables were merged into.
// Flyway reads TOML or .conf, never both ("modern" and "legacy" configuration modes), and after
// flyway.toml its flyway.user.toml (Flyway Desktop's per-developer file), the later winning key by key.
describe('Flyway settings files: flyway.toml and flyway.user.toml, or else flyway.conf', () => {
  const settingsOf = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}) =>
    readFlywaySettings('/p', createMemoryHost(Object.fromEntries(Object.entries(files).map(([k, v]) => [`/p/${k}`, v]))), env);

  it('with a flyway.toml, the .conf files are not read at all (not even keys the TOML does not set)', () => {
    const settings = settingsOf({ 'flyway.toml': '[flyway]\noutOfOrder = true\n', 'flyway.conf': 'flyway.table=conf_history\nflyway.schemas=shop\nflyway.placeholders.note=hi\n', 'conf/flyway.conf': 'flyway.baselineOnMigrate=true\n' });
    assert.equal(settings.outOfOrder, true);
    assert.equal(settings.table, undefined);
    assert.deepEqual(settings.schemas, []);
    assert.deepEqual(Object.fromEntries(settings.placeholders), {});
    assert.equal(settings.baselineOnMigrate, false);
    // An empty flyway.toml is a TOML configuration too.
    assert.equal(settingsOf({ 'flyway.toml': '', 'flyway.conf': 'flyway.table=conf_history\n' }).table, undefined);
  });

  it('without a TOML file, conf/flyway.conf then flyway.conf (the install folder\'s first, as Flyway reads them: the project\'s wins)', () => {
    const settings = settingsOf({ 'flyway.conf': 'flyway.table=conf_history\nflyway.schemas=shop\n', 'conf/flyway.conf': 'flyway.outOfOrder=true\nflyway.table=install_history\n' });
    assert.equal(settings.table, 'conf_history');
    assert.deepEqual(settings.schemas, ['shop']);
    assert.equal(settings.outOfOrder, true);
    assert.deepEqual(settings.problems, []);
  });

  it('flyway.user.toml is read after flyway.toml and wins key by key; its environments count (Flyway Desktop keeps them there)', () => {
    const settings = settingsOf({
      'flyway.toml': '[flyway]\nenvironment = "development"\ntable = "project_history"\noutOfOrder = true\n\n[flyway.placeholders]\nowner = "project"\nregion = "eu"\n',
      'flyway.user.toml': '[environments.development]\nurl = "jdbc:postgresql://localhost/dev"\nschemas = ["app", "audit"]\n\n[flyway]\ntable = "my_history"\n\n[flyway.placeholders]\nowner = "me"\n',
    });
    assert.equal(settings.environment, 'development');
    assert.equal(settings.table, 'my_history');
    assert.equal(settings.outOfOrder, true);
    assert.deepEqual(settings.schemas, ['app', 'audit']);
    assert.deepEqual(Object.fromEntries(settings.placeholders), { owner: 'me', region: 'eu' });
    // flyway.user.toml alone is a TOML configuration as well.
    assert.equal(settingsOf({ 'flyway.user.toml': '[flyway]\ntable = "mine"\n', 'flyway.conf': 'flyway.table=conf_history\n' }).table, 'mine');
  });
});

// Where Flyway looks (flyway-commandline's ConfigurationManagerImpl and ConfigUtils): its install
// folder's conf/ (the project's conf/ here), the user's home, the folder it runs from (the project
// root), then FLYWAY_CONFIG_FILES; TOML or .conf by what FLYWAY_CONFIG_FILES lists, else by whether
// any default TOML file exists.
describe('Flyway settings files: the home folder, conf/, and FLYWAY_CONFIG_FILES', () => {
  const settingsOf = (files: Record<string, string>, env: NodeJS.ProcessEnv = {}) => readFlywaySettings('/p', createMemoryHost(files), { HOME: '/home/dev', ...env });

  it('TOML: conf/, then the home folder, then the project, each flyway.toml before its flyway.user.toml', () => {
    const settings = settingsOf({
      '/p/conf/flyway.toml': '[flyway]\ntable = "install"\noutOfOrder = true\nbaselineVersion = "7"\n',
      '/home/dev/flyway.toml': '[flyway]\ntable = "home"\ncreateSchemas = false\n',
      '/home/dev/flyway.user.toml': '[flyway.placeholders]\nowner = "dev"\n',
      '/p/flyway.toml': '[flyway]\ntable = "project"\n',
    });
    assert.equal(settings.table, 'project');
    assert.equal(settings.outOfOrder, true);
    assert.equal(settings.createSchemas, false);
    assert.deepEqual(Object.fromEntries(settings.placeholders), { owner: 'dev' });
    assert.equal(settings.baselineVersionFrom, 'baselineVersion in conf/flyway.toml');
  });

  it('a TOML file in the home folder puts Flyway in TOML mode: the project\'s flyway.conf is then not read', () => {
    const settings = settingsOf({ '/home/dev/flyway.user.toml': '[flyway]\noutOfOrder = true\n', '/p/flyway.conf': 'flyway.table=conf_history\n' });
    assert.equal(settings.outOfOrder, true);
    assert.equal(settings.table, undefined);
    // Without it, the .conf files: the home folder's before the project's.
    const legacy = settingsOf({ '/home/dev/flyway.conf': 'flyway.table=home_history\nflyway.baselineVersion=3\n', '/p/flyway.conf': 'flyway.outOfOrder=true\n' });
    assert.equal(legacy.table, 'home_history');
    assert.equal(legacy.outOfOrder, true);
    assert.equal(legacy.baselineVersionFrom, 'flyway.baselineVersion in /home/dev/flyway.conf');
  });

  it('FLYWAY_CONFIG_FILES: read after the defaults (relative to the project), and its kind decides the mode', () => {
    const files = { '/p/flyway.conf': 'flyway.table=conf_history\n', '/p/flyway.toml': '[flyway]\ntable = "toml_history"\n', '/p/config/ci.toml': '[flyway]\noutOfOrder = true\n', '/p/config/ci.conf': 'flyway.schemas=ci\n' };
    const toml = settingsOf(files, { FLYWAY_CONFIG_FILES: 'config/ci.toml' });
    assert.equal(toml.table, 'toml_history');
    assert.equal(toml.outOfOrder, true);
    // Listing a .conf file selects the .conf files even though flyway.toml exists.
    const conf = settingsOf(files, { FLYWAY_CONFIG_FILES: ' config/ci.conf ' });
    assert.equal(conf.table, 'conf_history');
    assert.deepEqual(conf.schemas, ['ci']);
    assert.equal(conf.outOfOrder, false);
    assert.deepEqual(conf.problems, []);
  });

  it('FLYWAY_CONFIG_FILES: a missing .conf file is an error (Flyway stops), a missing TOML file a warning, both kinds an error', () => {
    assert.deepEqual(settingsOf({}, { FLYWAY_CONFIG_FILES: 'ci.conf' }).problems, [
      { path: '/p/ci.conf', message: 'FLYWAY_CONFIG_FILES lists ci.conf, which does not exist (Flyway stops: "Unable to read config file").', severity: 'error' },
    ]);
    assert.deepEqual(settingsOf({}, { FLYWAY_CONFIG_FILES: '/etc/flyway/ci.toml' }).problems, [
      { path: '/etc/flyway/ci.toml', message: 'FLYWAY_CONFIG_FILES lists /etc/flyway/ci.toml, which does not exist; it is skipped, as Flyway skips it.', severity: 'warning' },
    ]);
    const both = settingsOf({ '/p/a.toml': '', '/p/b.conf': '' }, { FLYWAY_CONFIG_FILES: 'a.toml,b.conf' }).problems;
    assert.equal(both.length, 1);
    assert.equal(both[0].severity, 'error');
    assert.match(both[0].message, /^FLYWAY_CONFIG_FILES lists both TOML and \.conf files \(a\.toml, b\.conf\); Flyway reads one kind, never both/);
  });

  it('baselineVersionFrom names the environment\'s override, the variable, or the file', () => {
    const toml = '[environments.dev.flyway]\nbaselineVersion = "5"\n\n[flyway]\nenvironment = "dev"\nbaselineVersion = "2"\n';
    assert.equal(settingsOf({ '/p/flyway.toml': toml }).baselineVersionFrom, '[environments.dev.flyway] baselineVersion in flyway.toml');
    assert.equal(settingsOf({ '/p/flyway.toml': '[flyway]\nbaselineVersion = "2"\n' }, { FLYWAY_BASELINE_VERSION: '4' }).baselineVersionFrom, 'FLYWAY_BASELINE_VERSION');
    assert.equal(settingsOf({ '/p/flyway.toml': '[flyway]\n' }).baselineVersionFrom, undefined);
  });
});

describe('flyway.toml: [environments.NAME.flyway] overrides', () => {
  const settingsOf = (toml: string, env: NodeJS.ProcessEnv = {}, conf?: string) =>
    readFlywaySettings('/p', createMemoryHost({ '/p/flyway.toml': toml, ...(conf === undefined ? {} : { '/p/flyway.conf': conf }) }), env);
  const flywayTable = '[flyway]\nenvironment = "dev"\ntable = "flyway_schema_history"\ndefaultSchema = "base"\ncreateSchemas = true\nplaceholderReplacement = true\noutOfOrder = false\nbaselineVersion = "1"\nbaselineDescription = "from flyway"\nbaselineOnMigrate = false\n';

  it('the selected environment\'s overrides win over [flyway] and flyway.conf, for every setting the runner reads', () => {
    const toml = `[environments.dev]\nurl = "jdbc:postgresql://localhost/dev"\nschemas = ["app", "audit"]\n\n[environments.dev.flyway]\nlocations = ["filesystem:sql/dev"]\ntable = "dev_history"\ndefaultSchema = "audit"\ncreateSchemas = false\nplaceholderReplacement = false\noutOfOrder = true\nbaselineVersion = "3"\nbaselineDescription = "dev baseline"\nbaselineOnMigrate = true\n\n${flywayTable}`;
    const settings = settingsOf(toml, {}, 'flyway.table=conf_history\nflyway.outOfOrder=false\n');
    assert.equal(settings.table, 'dev_history');
    assert.equal(settings.schema, 'audit');
    assert.deepEqual(settings.schemas, ['audit', 'app']);
    assert.equal(settings.createSchemas, false);
    assert.equal(settings.placeholderReplacement, false);
    assert.equal(settings.outOfOrder, true);
    assert.equal(settings.baselineVersion, '3');
    assert.equal(settings.baselineDescription, 'dev baseline');
    assert.equal(settings.baselineOnMigrate, true);
  });

  it('dotted keys under [environments.NAME] are the same overrides (TOML: flyway.table there is [environments.NAME.flyway] table)', () => {
    const settings = settingsOf(`[environments.dev]\nflyway.table = "dev_history"\nflyway.outOfOrder = true\n\n${flywayTable}`);
    assert.equal(settings.table, 'dev_history');
    assert.equal(settings.outOfOrder, true);
    assert.equal(settings.baselineDescription, 'from flyway');
  });

  it('FLYWAY_* variables still win over [flyway] where the environment does not override; an override wins over its variable, as in Flyway', () => {
    const toml = `[environments.dev.flyway]\ntable = "dev_history"\n\n${flywayTable}`;
    const settings = settingsOf(toml, { FLYWAY_TABLE: 'env_history', FLYWAY_BASELINE_VERSION: '7', FLYWAY_OUT_OF_ORDER: 'true', FLYWAY_SCHEMAS: 'x,y', FLYWAY_DEFAULT_SCHEMA: 'y' });
    assert.equal(settings.table, 'dev_history');
    assert.equal(settings.baselineVersion, '7');
    assert.equal(settings.outOfOrder, true);
    assert.deepEqual(settings.schemas, ['y', 'x']);
  });

  it('only the selected environment\'s overrides count: flyway.environment, flyway_environment winning, an undefined one changing nothing', () => {
    const toml = `[environments.dev.flyway]\ntable = "dev_history"\n\n[environments.prod.flyway]\ntable = "prod_history"\nbaselineOnMigrate = true\n\n${flywayTable}`;
    assert.equal(settingsOf(toml).table, 'dev_history');
    assert.equal(settingsOf(toml).baselineOnMigrate, false);
    assert.equal(settingsOf(toml, { flyway_environment: 'prod' }).table, 'prod_history');
    assert.equal(settingsOf(toml, { flyway_environment: 'prod' }).baselineOnMigrate, true);
    assert.equal(settingsOf(toml, { flyway_environment: 'staging' }).table, 'flyway_schema_history');
    // Without flyway.environment, the environment is "default".
    const byDefault = settingsOf('[environments.default.flyway]\ntable = "default_history"\n\n[environments.dev.flyway]\ntable = "dev_history"\n\n[flyway]\ntable = "flyway_schema_history"\n');
    assert.equal(byDefault.table, 'default_history');
  });

  it('[environments.NAME.flyway.placeholders] replaces the [flyway] placeholders and FLYWAY_PLACEHOLDERS_* whole, as Flyway\'s getPlaceholders() does', () => {
    const toml = `[environments.dev.flyway.placeholders]\nowner = "dev_owner"\n\n[environments.prod.flyway.placeholders]\nowner = "prod_owner"\n\n${flywayTable}\n[flyway.placeholders]\nowner = "base_owner"\nregion = "eu"\n`;
    const env = { FLYWAY_PLACEHOLDERS_TIER: 'gold' };
    assert.deepEqual(Object.fromEntries(settingsOf(toml, env).placeholders), { owner: 'dev_owner' });
    assert.deepEqual(Object.fromEntries(settingsOf(toml, { ...env, flyway_environment: 'prod' }).placeholders), { owner: 'prod_owner' });
    // An environment without a placeholders table keeps [flyway]'s, the variables winning.
    assert.deepEqual(Object.fromEntries(settingsOf(toml, { ...env, flyway_environment: 'staging' }).placeholders), { owner: 'base_owner', region: 'eu', tier: 'gold' });
    // Dotted keys, and an empty table, which still replaces them all.
    assert.deepEqual(Object.fromEntries(settingsOf(`[environments.dev]\nflyway.placeholders.owner = "dotted"\n\n${flywayTable}\n[flyway.placeholders]\nregion = "eu"\n`).placeholders), { owner: 'dotted' });
    assert.deepEqual(Object.fromEntries(settingsOf(`[environments.dev.flyway.placeholders]\n\n${flywayTable}\n[flyway.placeholders]\nregion = "eu"\n`, env).placeholders), {});
  });
});
