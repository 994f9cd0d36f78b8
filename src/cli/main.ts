export async function runFromProcess(): Promise<void> { console.log('stub', process.argv.slice(2)); }
