/** A small program to start from: a scalar function of a vector and its gradient. */
const EXAMPLE_PROGRAM = `# f : R^3 -> R
def f(x):
  y = tanh(x) * x
  return sum(y * y)

x = [0.5, -1.0, 2.0]
print(f(x))
print(grad(f)(x))
`;

const program = document.querySelector<HTMLTextAreaElement>('#program');
if (program === null) throw new Error('index.html has no #program textarea');
program.value = EXAMPLE_PROGRAM;
