// msgpackr loads this inside try/catch and falls back to pure JavaScript.
throw new Error('msgpackr-extract is stubbed out (see package.json)');
