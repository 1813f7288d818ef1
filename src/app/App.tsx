import { SignInScreen } from '../features/login/SignInScreen';

export function App() {
  return <SignInScreen />;
}
