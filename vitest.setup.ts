// Runs before every test file: JACOBI_BACKEND=js|wasm selects the kernels the suite runs on.
import { setBackend } from '@jacobi/tensor';

if (process.env.JACOBI_BACKEND) setBackend(process.env.JACOBI_BACKEND);
